/**
 * The translator with EXPORT_PROTOCOL=otlp, end to end in one process: InProcessTopic → the one pipeline →
 * OtlpHttpSpanSink.fromSettings (the wiring of translator, all-in-one and replay) → xray-local's
 * `/v1/traces` behind real HTTP, signed by the AWS SDK's SigV4 signer.
 *
 * Independent check (issue 12, acceptance 2): the bytes meshray put on the wire are gunzipped and decoded
 * with the opentelemetry-proto files loaded here by protobufjs (not the descriptor meshray encodes with),
 * and checked against the OTLP specification (trace.proto: 16-byte trace ids, 8-byte span ids, SpanKind,
 * fixed64 times, StatusCode; OTLP/HTTP: `application/x-protobuf`, gzip); the Authorization header is SigV4
 * with scope `<key>/<date>/<region>/xray/aws4_request`.
 * Faults (acceptance 3, in process): nothing is committed while the endpoint is down or throttling, and a
 * span refused by a partial success is dead-lettered with the endpoint's message while the rest commit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { UpdateTraceSegmentDestinationCommand, XRayClient } from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { buildApp as buildXRayLocal } from '../../../../../services/xray-local/index.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { OtlpHttpSpanSink, otlpTracesUrlOf, type OtlpDocument, type OtlpRequestSender } from '../../../../../services/translator/export/otlp-span-sink.ts';
import { placeOtlpSpans } from '../../../../../shared/core/otlp/index.ts';
import { bookinfoSpans } from '../../../shared/core/otlp/support.ts';
import { retrievedZipkinKeys, retrieveSpans, zipkinKeysOf } from '../../../../support/transaction-search.ts';
import { waitFor } from '../../../../support/wait.ts';
import { harness, metricValue, recordOf } from '../support.ts';

const protoDir = fileURLToPath(new URL('../../../../../shared/core/otlp/proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => `${protoDir}${target}`;
root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
root.resolveAll();
const RequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const SpanKind = root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values;
const StatusCode = root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values;

interface Sent { readonly headers: Record<string, string>; readonly body: Buffer }

/** Bookinfo's spans, moved so the trace started `agoMs` before now (the endpoint refuses spans over 14 days old). */
function bookinfoNow(agoMs = 60_000): Span[] {
  const spans = bookinfoSpans();
  const shift = (Date.now() - agoMs) * 1000 - Math.min(...spans.map((s) => s.timestampMicros ?? Infinity));
  return spans.map((s) => ({ ...s, timestampMicros: (s.timestampMicros ?? 0) + shift, annotations: s.annotations.map((a) => ({ ...a, timestampMicros: a.timestampMicros + shift })) }));
}

interface Local { app: FastifyInstance; endpoint: string; client: XRayClient }

async function startLocal(options: { throttleSegmentsPerSecond?: number; nowMs?: () => number } = {}): Promise<Local> {
  const app = buildXRayLocal({ logger: silentLogger(), registry: createRegistry(), maxSegments: 10_000, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const client = new XRayClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  await client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
  return { app, endpoint, client };
}

/** The OTLP path as configuration wires it, recording what goes on the wire; sleeps are skipped (counted). */
function otlpHarness(endpoint: string, settings: { retries?: number; retryMaxMs?: number } = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  const signing = new XRayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const recordingFetch: typeof fetch = async (input, init) => {
    sent.push({ headers: { ...(init?.headers as Record<string, string>) }, body: Buffer.from(init?.body as Uint8Array) });
    return fetch(input, init);
  };
  const metrics = createTranslatorMetrics(createRegistry());
  const otlpSink = OtlpHttpSpanSink.fromSettings(
    { XRAY_MAX_CONCURRENCY: 2, XRAY_MAX_RETRIES: settings.retries ?? 3, XRAY_RETRY_BASE: 10, XRAY_RETRY_MAX: settings.retryMaxMs ?? 100 },
    { client: signing, endpoint, region: 'eu-west-1', metrics, fetch: recordingFetch, sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5 },
  );
  return { h: harness({ otlpSink, partitions: 2 }), sent, sleeps, metrics };
}

describe('EXPORT_PROTOCOL=otlp through the pipeline', () => {
  let local: Local;
  before(async () => {
    local = await startLocal();
  });
  after(async () => {
    local.client.destroy();
    await local.app.close();
  });

  it('names the endpoint <XRAY_ENDPOINT>/v1/traces, or X-Ray\'s own in the region', () => {
    assert.equal(otlpTracesUrlOf('http://127.0.0.1:2000', 'us-east-1'), 'http://127.0.0.1:2000/v1/traces');
    assert.equal(otlpTracesUrlOf(undefined, 'eu-west-1'), 'https://xray.eu-west-1.amazonaws.com/v1/traces');
  });

  it('commits Bookinfo once the endpoint accepted it; the bytes on the wire decode with the separately loaded proto as the OTLP spec says; SigV4 scope …/eu-west-1/xray/aws4_request', async () => {
    const input = bookinfoNow();
    const { h, sent } = otlpHarness(`${local.endpoint}`);
    h.topic.append(input.map(recordOf));
    await h.app.start();
    try {
      await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    } finally {
      await h.app.stop();
    }
    assert.ok(sent.length >= 1);
    const spans = [];
    for (const { headers, body } of sent) {
      assert.equal(headers['content-type'], 'application/x-protobuf');
      assert.equal(headers['content-encoding'], 'gzip');
      assert.match(headers['authorization'] ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
      const decoded = RequestType.toObject(RequestType.decode(gunzipSync(body)), { longs: String, enums: Number, defaults: true, arrays: true }) as {
        resourceSpans: { resource: { attributes: { key: string }[] }; scopeSpans: { spans: { traceId: Uint8Array; spanId: Uint8Array; parentSpanId: Uint8Array; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; status: { code: number }; attributes: { key: string; value: { intValue?: string; stringValue?: string } }[] }[] }[] }[];
      };
      for (const rs of decoded.resourceSpans) {
        assert.ok(rs.resource.attributes.some((a) => a.key === 'service.name'), 'service.name on every resource');
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
    }
    assert.equal(spans.length, input.length, 'every span sent once');
    for (const s of spans) {
      assert.equal(s.traceId.length, 16);
      assert.equal(s.spanId.length, 8);
      assert.ok(s.parentSpanId.length === 0 || s.parentSpanId.length === 8);
      assert.ok([SpanKind['SPAN_KIND_SERVER'], SpanKind['SPAN_KIND_CLIENT']].includes(s.kind));
      assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano) && BigInt(s.startTimeUnixNano) > BigInt(Date.now() - 3_600_000) * 1_000_000n);
      assert.ok(Object.values(StatusCode).includes(s.status.code));
      assert.match(s.attributes.find((a) => a.key === 'http.response.status_code')?.value.intValue ?? '', /^\d{3}$/);
    }
    const traceId = Buffer.from(spans[0]!.traceId).toString('hex');
    const retrieved = await retrieveSpans(local.client, [traceId], { StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 60_000) });
    assert.deepEqual([...retrievedZipkinKeys(retrieved)].sort(), [...zipkinKeysOf(input)].sort());
  });

  it('partial success: the span the endpoint names is dead-lettered with its message, the others commit', async () => {
    const behind = await startLocal({ nowMs: () => Date.now() - 3_600_000 });
    try {
      const input = bookinfoNow();
      const ahead = { ...input[2]!, timestampMicros: (Date.now() + 90 * 60_000) * 1000 }; // 2.5 h ahead of the endpoint's clock
      const { h, metrics } = otlpHarness(behind.endpoint);
      h.topic.append([input[0]!, input[1]!, ahead, input[3]!].map(recordOf));
      await h.app.start();
      try {
        await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
      } finally {
        await h.app.stop();
      }
      assert.equal(h.dlq.letters.length, 1);
      assert.deepEqual([h.dlq.letters[0]?.code, h.dlq.letters[0]?.reason, h.dlq.letters[0]?.record.offset], ['SEGMENT_REJECTED', 'partial_success', '2']);
      assert.match(h.dlq.letters[0]?.message ?? '', /2 hours ahead/);
      assert.equal(await metricValue(h.registry, 'meshray_translator_dead_letters_total', { reason: 'partial_success', protocol: 'otlp' }), 1);
      assert.equal(await metricValue(h.registry, 'meshray_translator_records_total', { protocol: 'otlp' }), 4);
      assert.equal((await metrics.otlpRequests.get()).values.find((v) => v.labels['outcome'] === 'partial')?.value, 1);
    } finally {
      behind.client.destroy();
      await behind.app.close();
    }
  });

  it('endpoint down: nothing is committed; the records wait for redelivery', async () => {
    const down = await startLocal();
    const endpoint = down.endpoint;
    down.client.destroy();
    await down.app.close();
    const { h, sleeps } = otlpHarness(endpoint, { retries: 2 });
    h.topic.append(bookinfoNow().slice(0, 3).map(recordOf));
    await h.app.start();
    try {
      await waitFor('two failed batches', 5000, async () => (await metricValue(h.registry, 'meshray_translator_batches_total', { outcome: 'failed', protocol: 'otlp' })) >= 2, { intervalMs: 5 });
      assert.equal(h.topic.size, 3, 'nothing committed');
      assert.ok(sleeps.length >= 4, 'each batch was retried with backoff before it failed');
      assert.equal(h.dlq.letters.length, 0, 'nothing dead-lettered');
    } finally {
      await h.app.stop();
    }
  });

  it('throttled: a 429 is retried after its Retry-After; committed only once accepted', async () => {
    const throttled = await startLocal({ throttleSegmentsPerSecond: 1 });
    try {
      const input = bookinfoNow();
      // XRAY_RETRY_MAX above xray-local's Retry-After (2 s): the wait is held to it
      const { h, sleeps, sent } = otlpHarness(throttled.endpoint, { retries: 1, retryMaxMs: 5000 });
      h.topic.append(input.slice(0, 2).map(recordOf));
      await h.app.start();
      try {
        await waitFor('the first batch accepted', 5000, () => h.topic.size === 0, { intervalMs: 5 });
        h.topic.append(input.slice(2).map(recordOf));
        await waitFor('a 429 answered and retried', 5000, () => sleeps.includes(2000) || sleeps.some((ms) => ms >= 1000), { intervalMs: 5 });
        assert.ok(h.topic.size > 0, 'the throttled records are not committed');
        assert.ok(sent.length >= 2);
      } finally {
        await h.app.stop();
      }
      assert.equal(h.dlq.letters.length, 0, 'throttled spans are never dead-lettered');
    } finally {
      throttled.client.destroy();
      await throttled.app.close();
    }
  });
});

describe('a request refused whole for its content (400, 413)', () => {
  /** Bookinfo as OtlpDocuments, and a sender that refuses with `status` every request holding span `bad`. */
  function setUp(status: number) {
    const spans = bookinfoNow();
    const placed = placeOtlpSpans(spans, { nowMs: Date.now() }).placed;
    const documents: OtlpDocument[] = placed.map((p) => ({ spanIndex: p.index, segmentId: p.span.spanId, placed: p }));
    const bad = 3;
    const requests: number[][] = [];
    const sender: OtlpRequestSender = {
      export: async (batch) => {
        requests.push([...batch.spanIndexes]);
        return batch.spanIndexes.includes(bad)
          ? { rejected: batch.spanIndexes.map((spanIndex) => ({ spanIndex, code: 'SEGMENT_REJECTED' as const, reason: `http_${status}`, message: 'refused' })), refusedWhole: { status } }
          : { rejected: [] };
      },
    };
    return { documents, bad, requests, sink: new OtlpHttpSpanSink({ sender, maxConcurrency: 1 }) };
  }

  it('is bisected down to the span at fault: its good neighbours are exported, only it is dead-lettered (found by review: the whole request was)', async () => {
    const { documents, bad, requests, sink } = setUp(400);
    assert.ok(documents.length >= 8);
    const outcome = await sink.put(documents);
    assert.deepEqual(outcome.rejected.map((r) => [r.index, r.reason]), [[bad, 'http_400']]);
    assert.equal(outcome.unfinished, undefined);
    assert.ok(requests.length <= 2 * Math.ceil(Math.log2(documents.length)) + 1, `${requests.length} requests: a bisection, not one per span`);
  });

  it('an endpoint that refuses every request costs a bounded number of requests, heartbeating between them, not 2N-1 (found by review: 19,993 for 10,000 spans)', async () => {
    const { documents, requests } = setUp(400);
    const many = Array.from({ length: 20 }, (_, k) => documents.map((d) => ({ ...d, spanIndex: d.spanIndex + k * documents.length }))).flat();
    const refuseAll: OtlpRequestSender = { export: async (batch) => { requests.push([...batch.spanIndexes]); return { rejected: batch.spanIndexes.map((spanIndex) => ({ spanIndex, code: 'SEGMENT_REJECTED' as const, reason: 'http_400', message: 'refused' })), refusedWhole: { status: 400 } }; } };
    let beats = 0;
    const outcome = await new OtlpHttpSpanSink({ sender: refuseAll, maxConcurrency: 1 }).put(many, { heartbeat: async () => { beats += 1; }, isActive: () => true });
    assert.equal(new Set(outcome.rejected.map((r) => r.index)).size, many.length, 'every span dead-lettered, none lost');
    const budget = 2 * 4 * Math.ceil(Math.log2(many.length + 1));
    assert.ok(requests.length <= budget + 1, `${requests.length} requests for ${many.length} spans (budget ${budget})`);
    assert.ok(beats >= Math.floor(requests.length / 2) - 1, `heartbeats between the halves (${beats})`);
  });

  it('a 500 is not bisected: the endpoint failed, not a span (the OTLP specification forbids resending the request)', async () => {
    const { documents, requests, sink } = setUp(500);
    const outcome = await sink.put(documents);
    assert.equal(requests.length, 1);
    assert.equal(outcome.rejected.length, documents.length);
  });
});
