import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { XRayClient } from '@aws-sdk/client-xray';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { XRaySegmentSink } from '../../../../../services/translator/export/xray-segment-sink.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { startXRayLocal } from '../../../../support/xray-local.ts';
import { metricValue } from '../support.ts';

const nowSec = Math.floor(Date.now() / 1000);
const doc = (n: number, extra: Record<string, unknown> = {}) => JSON.stringify({
  name: 'svc', id: n.toString(16).padStart(16, '0'), trace_id: `1-${nowSec.toString(16)}-${n.toString(16).padStart(24, '0')}`,
  start_time: nowSec, end_time: nowSec + 0.5, ...extra,
});

/**
 * One clock for xray-local's throttle and the sink's backoff: it moves only when the sink sleeps, so
 * retries and throttle refills happen in no wall time and in an exact order.
 */
function fakeClock(startMs = nowSec * 1000) {
  let nowMs = startMs;
  const sleeps: number[] = [];
  return { nowMs: () => nowMs, sleep: async (ms: number) => { sleeps.push(ms); nowMs += ms; }, sleeps };
}
type FakeClock = ReturnType<typeof fakeClock>;

async function withXRayLocal(options: { throttle?: number }, run: (client: XRayClient, registry: Registry, clock: FakeClock) => Promise<void>): Promise<void> {
  const clock = fakeClock();
  const xray = await startXRayLocal({ nowMs: clock.nowMs, ...(options.throttle ? { throttleSegmentsPerSecond: options.throttle } : {}) });
  try {
    await run(xray.client, new Registry(), clock);
  } finally {
    await xray.close();
  }
}

const sinkFor = (client: XRayClient, registry: Registry, clock: FakeClock, extra: Partial<ConstructorParameters<typeof XRaySegmentSink>[0]> = {}) =>
  new XRaySegmentSink({
    client, metrics: createTranslatorMetrics(registry), maxConcurrency: 2, maxRetries: 5, retryBaseMs: 5, retryMaxMs: 50,
    sleep: clock.sleep, nowMs: clock.nowMs, random: () => 0.5, ...extra,
  });

test('documents go in calls of at most 50 through the real SDK', async () => {
  await withXRayLocal({}, async (client, registry, clock) => {
    const docs = Array.from({ length: 120 }, (_, i) => doc(i + 1));
    const outcome = await sinkFor(client, registry, clock).put(docs);
    assert.deepEqual(outcome.rejected, []);
    const hist = (await registry.getSingleMetric('meshray_translator_documents_per_call')!.get()) as { values: { value: number; labels: Record<string, unknown>; metricName?: string }[] };
    assert.equal(hist.values.find((v) => v.metricName?.endsWith('_count'))?.value, 3);
    assert.equal(hist.values.find((v) => v.metricName?.endsWith('_sum'))?.value, 120);
    assert.equal(hist.values.find((v) => v.metricName?.endsWith('_bucket') && v.labels['le'] === 40)?.value, 1);
  });
});

test('a call carries at most maxPayloadBytes of documents', async () => {
  await withXRayLocal({}, async (client, registry, clock) => {
    const docs = Array.from({ length: 10 }, (_, i) => doc(i + 1, { metadata: { default: { pad: 'x'.repeat(1000) } } }));
    await sinkFor(client, registry, clock, { maxPayloadBytes: 2500 }).put(docs);
    assert.equal(await metricValue(registry, 'meshray_translator_put_calls_total', { outcome: 'ok' }), 5);
  });
});

test('invalid documents are rejected with their X-Ray reason, valid ones accepted', async () => {
  await withXRayLocal({}, async (client, registry, clock) => {
    const docs = [doc(1), doc(2, { name: '' }), doc(3)];
    const outcome = await sinkFor(client, registry, clock).put(docs);
    assert.equal(outcome.rejected.length, 1);
    assert.equal(outcome.rejected[0]?.index, 1);
    assert.equal(outcome.rejected[0]?.code, 'SEGMENT_REJECTED');
    assert.match(outcome.rejected[0]?.reason ?? '', /Invalid|Name/);
    assert.ok(await metricValue(registry, 'meshray_translator_unprocessed_segments_total') >= 1);
  });
});

test('throttled documents are retried with backoff until accepted; heartbeats between retries', async () => {
  await withXRayLocal({ throttle: 20 }, async (client, registry, clock) => {
    let heartbeats = 0;
    const told: string[] = [];
    const health = { succeeded: () => told.push('ok'), failed: (code: string) => told.push(code), throttled: () => told.push('throttled') };
    const docs = Array.from({ length: 50 }, (_, i) => doc(i + 1));
    const outcome = await sinkFor(client, registry, clock, { maxRetries: 30, retryBaseMs: 100, retryMaxMs: 400, health })
      .put(docs, { heartbeat: async () => { heartbeats += 1; }, isActive: () => true });
    // each throttled call is told as such (liveness excuses it), never as a failure (readiness stays)
    assert.equal(told.filter((t) => t === 'throttled').length, clock.sleeps.length);
    assert.deepEqual([...new Set(told)].sort(), ['ok', 'throttled']);
    assert.deepEqual(outcome.rejected, []);
    assert.equal(outcome.unfinished, undefined);
    // 20 granted at once, then full-jitter delays (random 0.5: half of 100, 200, 400, 400 …) refill 1, 2, 4, 4 … tokens
    assert.deepEqual(clock.sleeps, [50, 100, 200, 200, 200, 200, 200, 200, 200]);
    assert.equal(heartbeats, clock.sleeps.length, 'one heartbeat before each retry');
    // every throttled document counts: 30 + 29 + 27 + 23 + 19 + 15 + 11 + 7 + 3
    assert.equal(await metricValue(registry, 'meshray_translator_throttles_total'), 164);
  });
});

test('after maxRetries the documents still pending come back as unfinished (the batch is then redelivered)', async () => {
  await withXRayLocal({ throttle: 1 }, async (client, registry, clock) => {
    const docs = Array.from({ length: 10 }, (_, i) => doc(i + 1));
    const outcome = await sinkFor(client, registry, clock, { maxRetries: 2, retryBaseMs: 1, retryMaxMs: 2 }).put(docs);
    assert.equal(outcome.unfinished?.code, 'XRAY_THROTTLED');
    assert.deepEqual(outcome.unfinished?.indices, [1, 2, 3, 4, 5, 6, 7, 8, 9], 'the burst of 1 was accepted, no time passed to refill');
    assert.deepEqual(clock.sleeps, [0, 1]);
    assert.deepEqual(outcome.rejected, []);
  });
});

test('a stopping consumer abandons the retries with NOT_READY', async () => {
  await withXRayLocal({ throttle: 1 }, async (client, registry, clock) => {
    const docs = Array.from({ length: 10 }, (_, i) => doc(i + 1));
    const outcome = await sinkFor(client, registry, clock, { maxRetries: 50 }).put(docs, { heartbeat: async () => {}, isActive: () => false });
    assert.equal(outcome.unfinished?.code, 'NOT_READY');
    assert.deepEqual(clock.sleeps, [], 'abandoned before any backoff');
  });
});

test('a refused caller (no credentials, access denied) is not retried: one call, unfinished XRAY_ACCESS_DENIED, the health observer told', async () => {
  const { XRayServiceException } = await import('@aws-sdk/client-xray');
  const { CredentialsProviderError } = await import('@smithy/core/config');
  for (const error of [
    new XRayServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized to perform: xray:PutTraceSegments', $metadata: { httpStatusCode: 403 } }),
    new CredentialsProviderError('Could not load credentials from any providers', false),
  ]) {
    let calls = 0;
    const told: string[] = [];
    const client = { send: async () => { calls += 1; throw error; } } as unknown as XRayClient;
    const registry = new Registry();
    const sink = new XRaySegmentSink({
      client, metrics: createTranslatorMetrics(registry), maxConcurrency: 1, maxRetries: 8, retryBaseMs: 1, retryMaxMs: 1,
      sleep: async () => { throw new Error('no backoff expected'); },
      health: { succeeded: () => told.push('ok'), failed: (code, message) => told.push(`${code}: ${message}`) },
    });
    const outcome = await sink.put([doc(1), doc(2)]);
    assert.equal(calls, 1, `${error.name}: not retried`);
    assert.equal(outcome.unfinished?.code, 'XRAY_ACCESS_DENIED');
    assert.deepEqual(outcome.unfinished?.indices, [0, 1]);
    assert.match(told.join('\n'), new RegExp(`^XRAY_ACCESS_DENIED: ${error.name}: `));
    assert.equal(await metricValue(registry, 'meshray_translator_put_calls_total', { outcome: 'denied' }), 1);
  }
});

test('an endpoint that answers 404 (XRAY_ENDPOINT pointing at something that is not X-Ray) stays retryable, and the failure says what to check (newcomer trial)', async () => {
  const { createServer } = await import('node:http');
  const { createXRayClient } = await import('../../../../../services/translator/export/xray-client.ts');
  const server = createServer((req, res) => { req.resume(); res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NOT_FOUND","message":"no route POST /TraceSegments"}'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createXRayClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, env: {} });
  try {
    const told: string[] = [];
    const sink = new XRaySegmentSink({
      client, metrics: createTranslatorMetrics(new Registry()), maxConcurrency: 1, maxRetries: 0, retryBaseMs: 1, retryMaxMs: 1,
      health: { succeeded: () => told.push('ok'), failed: (code, message, misdirected) => told.push(`${code}: ${message}${misdirected === true ? ' [misdirected]' : ''}`) },
    });
    const outcome = await sink.put([doc(1)]);
    assert.equal(outcome.unfinished?.code, 'XRAY_UNAVAILABLE', 'retryable: nothing dropped while the operator fixes the endpoint');
    assert.match(told.join('\n'), / \[misdirected\]$/, 'readiness is told at once that no retry mends it');
    assert.deepEqual(outcome.unfinished?.indices, [0]);
    assert.match(told.join('\n'), /^XRAY_UNAVAILABLE: .*\(HTTP 404: the endpoint has no PutTraceSegments route, POST \/TraceSegments: is XRAY_ENDPOINT an X-Ray API/);
  } finally {
    client.destroy();
    server.close();
  }
});

test('fromSettings wires the sink from XRAY_* keys; a request refused as a whole is bisected down to the invalid document', async () => {
  const { InvalidRequestException } = await import('@aws-sdk/client-xray');
  const bad = doc(3);
  const sent: number[] = [];
  const client = {
    send: async (command: { input: { TraceSegmentDocuments?: string[] } }) => {
      const docs = command.input.TraceSegmentDocuments ?? [];
      sent.push(docs.length);
      if (docs.includes(bad)) throw new InvalidRequestException({ message: 'Invalid segment', $metadata: { httpStatusCode: 400 } });
      return { UnprocessedTraceSegments: [] };
    },
  } as unknown as XRayClient;
  const registry = new Registry();
  const sink = XRaySegmentSink.fromSettings(
    { XRAY_MAX_CONCURRENCY: 1, XRAY_MAX_RETRIES: 0, XRAY_RETRY_BASE: 1, XRAY_RETRY_MAX: 1 },
    { client, metrics: createTranslatorMetrics(registry) },
  );
  const outcome = await sink.put([doc(0), doc(1), doc(2), bad]);
  assert.deepEqual(outcome, { rejected: [{ index: 3, code: 'SEGMENT_REJECTED', reason: 'InvalidRequestException', message: 'Invalid segment' }] });
  assert.deepEqual(sent, [4, 2, 2, 1, 1], 'whole, halves, then the refused half split');
  assert.equal(await metricValue(registry, 'meshray_translator_put_calls_total', { outcome: 'rejected' }), 3);
});
