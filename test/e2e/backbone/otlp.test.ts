/**
 * Acceptance (issue 12, 1): the Istio 1.7.4 Bookinfo fixture and the Kourier (Envoy 1.24) payloads go
 * receiver PROCESS → real Kafka (6 partitions) → translator PROCESS with EXPORT_PROTOCOL=otlp → xray-local
 * `/v1/traces` (Transaction Search on). Through the real AWS SDK, StartTraceRetrieval + ListRetrievedTraces
 * (OTEL) return every span exactly once, kinds repaired from `upstream_cluster`, HTTP statuses as integers,
 * and GetRetrievedTracesGraph shows the same services and edges as the segments path (a second translator
 * PROCESS with EXPORT_PROTOCOL=segments, same input, its own xray-local) shows.
 *
 * The fixtures' spans are from 2019 and 2023; the OTLP endpoint refuses spans older than 14 days
 * (CloudWatch "OTLP Endpoints" limits), so each payload is moved to a minute ago, keeping every relative
 * time. Nothing else changes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { UpdateTraceSegmentDestinationCommand } from '@aws-sdk/client-xray';
import { decodeJsonV2 } from '../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { createTopic, testKafka, uniqueNames, waitCaughtUp } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { describeProcesses, killAll, type ServiceProcess } from '../support/processes.ts';
import { startReceiver, startTranslator } from '../support/stack.ts';
import { startXRayLocal, xrayClient } from '../../support/xray-local.ts';
import { mapOf, retrievedGraph, retrievedZipkinKeys, retrieveSpans, w3cTraceIdOf, zipkinKeysOf } from '../../support/transaction-search.ts';
import { waitFor } from '../../support/wait.ts';

const fixture = (path: string): string => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

type JsonSpan = { timestamp?: number; annotations?: { timestamp: number }[] } & Record<string, unknown>;
/** The payload with every timestamp moved by the same amount so that its earliest span started `agoMs` ago. */
function movedToNow(body: string, agoMs = 60_000): string {
  const spans = JSON.parse(body) as JsonSpan[];
  const earliest = Math.min(...spans.map((s) => s.timestamp ?? Infinity));
  const shift = (Date.now() - agoMs) * 1000 - earliest;
  return JSON.stringify(spans.map((s) => ({
    ...s,
    ...(s.timestamp !== undefined ? { timestamp: s.timestamp + shift } : {}),
    ...(s.annotations ? { annotations: s.annotations.map((a) => ({ ...a, timestamp: a.timestamp + shift })) } : {}),
  })));
}

const BOOKINFO = movedToNow(fixture('zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json'));
/** The same request as Istio ≤ 1.7.3 reports it: every sidecar span CLIENT (another trace id), so kinds must be repaired. */
const BOOKINFO_1_7_3 = JSON.stringify((JSON.parse(BOOKINFO) as JsonSpan[]).map((s) => ({ ...s, traceId: `0${String(s['traceId']).slice(1)}`, kind: 'CLIENT' })));
const BODIES = [
  BOOKINFO,
  BOOKINFO_1_7_3,
  ...(JSON.parse(fixture('zipkin/kourier-envoy-1.24-v2-posts.json')) as unknown[]).map((b) => movedToNow(JSON.stringify(b))),
];
const INPUT: Span[] = BODIES.flatMap((body) => {
  const decoded = decodeJsonV2(Buffer.from(body));
  if (!decoded.ok) throw new Error('fixture does not decode');
  return decoded.value;
});
const TRACE_IDS = [...new Set(INPUT.map((s) => w3cTraceIdOf(s.traceId)))];

after(killAll);

test('Bookinfo and Kourier through receiver → Kafka → translator (EXPORT_PROTOCOL=otlp) → /v1/traces: every span, kinds repaired, integer statuses, the segments path\'s map', { timeout: 180_000 }, async () => {
  const names = uniqueNames('otlp');
  const segmentNames = { ...uniqueNames('otlp-segments'), spansTopic: names.spansTopic };
  const kafka = testKafka();
  await createTopic(kafka, names.spansTopic, 6);
  const otlp = await startXRayLocal();
  const segments = await startXRayLocal();
  const otlpClient = xrayClient(otlp.endpoint);
  const segmentsClient = xrayClient(segments.endpoint);
  const procs: ServiceProcess[] = [];
  try {
    // an account with Transaction Search on (the translator checks it at start and reports it in readiness)
    await otlpClient.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
    const [receiver, translator, segmentsTranslator] = await Promise.all([
      startReceiver('receiver', { spansTopic: names.spansTopic }),
      startTranslator('translator-otlp', { ...names, xrayEndpoint: otlp.endpoint, env: { EXPORT_PROTOCOL: 'otlp' } }),
      // the segments path reads the same topic in a consumer group of its own
      startTranslator('translator-segments', { ...segmentNames, xrayEndpoint: segments.endpoint }),
    ]);
    procs.push(receiver.proc, translator.proc, segmentsTranslator.proc);

    for (const body of BODIES) {
      const res = await fetch(`${receiver.url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 202, `POST answered ${res.status}: ${await res.text()}`);
    }
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 60_000);
    await waitCaughtUp(kafka, segmentNames.groupId, names.spansTopic, 60_000);
    // span-list records carry several spans each: count spans, not records
    await waitFor('every span counted by both translators', 30_000, async () =>
      (await scrapeMetric(`${translator.url}/metrics`, 'meshray_translator_spans_translated_total')) >= INPUT.length
      && (await scrapeMetric(`${segmentsTranslator.url}/metrics`, 'meshray_translator_spans_translated_total')) >= INPUT.length);

    const window = { StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 60_000) };
    const spans = await retrieveSpans(otlpClient, TRACE_IDS, window);
    // every span exactly once, nothing else
    assert.deepEqual([...retrievedZipkinKeys(spans)].sort(), [...zipkinKeysOf(INPUT)].sort());
    assert.equal(spans.length, INPUT.length, 'one OTLP span per Zipkin span (these fixtures have no root waypoint span)');
    for (const s of spans) {
      assert.ok(s.kind === 2 || s.kind === 3, `${s.spanId}: kind ${s.kind} is SERVER or CLIENT`);
      const status = s.attributes.find((a) => a.key === 'http.response.status_code')?.value;
      assert.ok(status !== undefined && /^\d{3}$/.test(String(status['intValue'])) && Object.keys(status).length === 1, `${s.spanId}: status ${JSON.stringify(status)} is an int64 AnyValue`);
      assert.ok(s.resource.attributes.some((a) => a.key === 'service.name'), `${s.spanId} has service.name`);
    }
    // the kinds follow Envoy's upstream_cluster (inbound → SERVER, outbound → CLIENT), as the repair says
    const repaired = spans.filter((s) => s.attributes.some((a) => a.key === 'meshray.kind_repaired_from'));
    let checked = 0;
    for (const s of spans) {
      const zipkin = INPUT.find((x) => x.id === s.spanId && w3cTraceIdOf(x.traceId) === s.traceId);
      const cluster = zipkin?.tags['upstream_cluster'];
      if (cluster?.startsWith('inbound|') === true) assert.equal(s.kind, 2, `${s.spanId}: inbound cluster → SERVER`);
      if (cluster?.startsWith('outbound|') === true) assert.equal(s.kind, 3, `${s.spanId}: outbound cluster → CLIENT`);
      if (cluster?.startsWith('inbound|') === true || cluster?.startsWith('outbound|') === true) checked += 1;
    }
    assert.ok(checked >= 16, `${checked} spans name an inbound/outbound cluster (Bookinfo alone has 8)`);
    assert.equal(repaired.length, 4, 'the four inbound spans of the 1.7.3-style copy were repaired to SERVER');

    // the map: OTLP spans through Transaction Search = segments through the segments path
    const fromSpans = mapOf(await retrievedGraph(otlpClient, TRACE_IDS, window));
    const fromSegments = mapOf(await retrievedGraph(segmentsClient, [...segments.store.traces()].map((t) => t.traceId), window));
    assert.ok(fromSpans.length >= 5, fromSpans.join('\n'));
    assert.deepEqual(fromSpans, fromSegments);
    assert.ok(await scrapeMetric(`${translator.url}/metrics`, 'meshray_translator_otlp_requests_total') > 0);
    console.log(`# otlp: ${spans.length} spans in ${TRACE_IDS.length} traces; ${repaired.length} kinds repaired; map:\n#   ${fromSpans.join('\n#   ')}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    otlpClient.destroy();
    segmentsClient.destroy();
    await otlp.close();
    await segments.close();
  }
});
