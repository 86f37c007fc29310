/**
 * Acceptance: Istio 1.7.4 Bookinfo and Knative/Kourier (Envoy 1.24) spans posted to a receiver PROCESS go
 * through a real Kafka topic (6 partitions) and two translator PROCESSES (one consumer group, Redis epoch
 * store) into xray-local, and BatchGetTraces through the real @aws-sdk/client-xray returns exactly the
 * golden documents (test/fixtures/golden/*.xray.ndjson), byte for byte, packed as the translator packs
 * them by default (PACKING=on, ASSEMBLY=on: each trace is held whole, so every subsegment whose parent is in
 * the trace is nested in it; `packDocuments` of shared/core/xray is the packing the translator runs).
 *
 * About the clock: the goldens were made with a fixed `nowMs` (2019-06-21T18:30Z / 2023-07-13T09:55Z) and
 * the translator reads the wall clock (it has no clock override, and adding one for tests is not wanted).
 * `nowMs` only decides the first 8 hex digits (the epoch) of the X-Ray trace ids: these fixtures' epochs are
 * implausible (Bookinfo's `eacd2e2b` is a second in 2094, Kourier's 64-bit ids pad to `00000000`), so
 * EPOCH_POLICY=auto rewrites them to the start second of the trace's first span moved into X-Ray's window
 * (28 days back to 5 minutes ahead of now): at the goldens' clock that was the spans' own second, today it is
 * the window's oldest second. So each trace is matched to its golden by the other 24 hex digits, its epoch
 * must lie in X-Ray's window today, and with the golden's trace id put back the documents are compared byte
 * for byte, sorted by segment id (every document of a trace carries its one X-Ray trace id).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GetTraceSummariesCommand } from '@aws-sdk/client-xray';
import { testTopic, waitCaughtUp } from '../support/kafka.ts';
import { describeProcesses, killAll, type ServiceProcess } from '../support/processes.ts';
import { startPipeline } from '../support/stack.ts';
import { batchGetDocuments, startXRayLocal, xrayClient } from '../../support/xray-local.ts';
import { waitFor } from '../../support/wait.ts';
import { packJsonDocuments } from '../../support/pack-documents.ts';

const fixture = (path: string): string => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
const BOOKINFO_BODY = fixture('zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json');
const KOURIER_BODIES = (JSON.parse(fixture('zipkin/kourier-envoy-1.24-v2-posts.json')) as unknown[]).map((b) => JSON.stringify(b));
const goldenLines = (name: string): string[] => fixture(`golden/${name}`).split('\n').filter((l) => l.trim() !== '');
/** The unpacked goldens (one document per span), and what the default translator stores: them packed. */
const UNPACKED = [...goldenLines('bookinfo-istio-1.7.4.xray.ndjson'), ...goldenLines('kourier-envoy-1.24.xray.ndjson')];

const GOLDEN = packJsonDocuments(UNPACKED);

interface Doc { id: string; trace_id: string }
const parse = (line: string): Doc => JSON.parse(line) as Doc;

after(killAll);

test('Bookinfo (Istio 1.7.4) and Kourier (Envoy 1.24) through receiver → Kafka → 2 translators → X-Ray equal the goldens', { timeout: 150_000 }, async () => {
  const { kafka, names } = await testTopic('bookinfo');
  const xray = await startXRayLocal();
  const client = xrayClient(xray.endpoint);
  const procs: ServiceProcess[] = [];
  try {
    const { receiver } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint }, procs);

    for (const body of [BOOKINFO_BODY, ...KOURIER_BODIES]) {
      const res = await fetch(`${receiver.url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 202, `POST answered ${res.status}: ${await res.text()}`);
    }

    const goldenByTrace = new Map<string, string[]>();
    for (const line of GOLDEN) goldenByTrace.set(parse(line).trace_id, [...(goldenByTrace.get(parse(line).trace_id) ?? []), line]);
    assert.equal(goldenByTrace.size, 4, 'the goldens hold 1 Bookinfo and 3 Kourier traces');
    assert.ok(GOLDEN.length < UNPACKED.length, `packing folds the ${UNPACKED.length} golden documents (${GOLDEN.length} packed)`);

    await waitFor(`${GOLDEN.length} documents in xray-local`, 60_000, () => xray.store.segmentCount >= GOLDEN.length, {
      describe: () => `${xray.store.segmentCount} stored\n${describeProcesses(procs)}`,
    });
    // the spans' records are all committed: nothing more is coming
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 30_000);

    // every trace the API lists, over all time, is one of the golden traces, dated inside X-Ray's window today
    const summaries = await client.send(new GetTraceSummariesCommand({ StartTime: new Date('2000-01-01T00:00:00Z'), EndTime: new Date(Date.now() + 3_600_000) }));
    const listed = (summaries.TraceSummaries ?? []).map((s) => s.Id ?? '');
    const suffix = (xrayTraceId: string): string => xrayTraceId.slice(11);
    assert.deepEqual(listed.map(suffix).sort(), [...goldenByTrace.keys()].map(suffix).sort());
    for (const id of listed) {
      const epochMs = Number.parseInt(id.slice(2, 10), 16) * 1000;
      assert.ok(epochMs >= Date.now() - 30 * 86_400_000 && epochMs <= Date.now() + 300_000, `${id} is dated inside X-Ray's window`);
    }

    const stored = await batchGetDocuments(client, listed);
    for (const [goldenTraceId, lines] of goldenByTrace) {
      const traceId = listed.find((id) => suffix(id) === suffix(goldenTraceId)) ?? '';
      const got = stored.filter((d) => d.traceId === traceId);
      // one X-Ray trace id per trace: BatchGetTraces files every document under it and each document says so
      assert.ok(got.every((d) => parse(d.document).trace_id === traceId), `documents of ${traceId} carry another trace id`);
      const byId = (a: string, b: string): number => (parse(a).id < parse(b).id ? -1 : parse(a).id > parse(b).id ? 1 : 0);
      const withGoldenId = got.map((d) => d.document.replace(`"trace_id":"${traceId}"`, `"trace_id":"${goldenTraceId}"`));
      assert.deepEqual(withGoldenId.sort(byId), [...lines].sort(byId), `documents of ${traceId} differ from the golden`);
    }
    assert.equal(stored.length, GOLDEN.length);
    assert.equal(xray.store.segmentCount, GOLDEN.length, 'nothing else was stored');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    client.destroy();
    await xray.close();
  }
});
