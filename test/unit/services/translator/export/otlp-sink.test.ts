/**
 * OtlpTraceSink against xray-local's /v1/traces (in-process, real HTTP, real SigV4 signing through the
 * SDK's signer and an XRayClient's credential provider): accepted, throttled (Retry-After honoured through
 * the injected sleep, which advances xray-local's clock: no real waiting), partial success attributed to
 * the refused span, malformed request, endpoint down, stopping consumer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { GetServiceGraphCommand, UpdateTraceSegmentDestinationCommand, XRayClient } from '@aws-sdk/client-xray';
import { translateToOtlp, type OtlpExportBatch } from '../../../../../shared/core/otlp/index.ts';
import { OtlpTraceSink, attributeRejections, readTransactionSearch, sdkSigningOf, type OtlpTraceSinkOptions } from '../../../../../services/translator/export/otlp-sink.ts';
import { BOOKINFO_NOW_MS, bookinfoSpans, span } from '../../../shared/core/otlp/support.ts';
import { startXRayLocal, type XRayLocal } from '../../../../support/xray-local.ts';

const DAY_MS = 86_400_000;
const WINDOW = { StartTime: new Date(BOOKINFO_NOW_MS - 3_600_000), EndTime: new Date(BOOKINFO_NOW_MS) };

interface Local {
  readonly harness: XRayLocal;
  readonly client: XRayClient;
  readonly endpoint: string;
  clock: number;
}

/** The xray-local harness on a clock the test moves (`local.clock`); `endpoint` is its OTLP /v1/traces. */
async function startLocal(throttleSegmentsPerSecond?: number): Promise<Local> {
  const local = { clock: BOOKINFO_NOW_MS } as Local;
  const harness = await startXRayLocal({ maxSegments: 10_000, traceSegmentDestination: 'CloudWatchLogs', nowMs: () => local.clock, ...(throttleSegmentsPerSecond !== undefined ? { throttleSegmentsPerSecond } : {}) });
  return Object.assign(local, { harness, client: harness.client, endpoint: `${harness.endpoint}/v1/traces` });
}

async function stopLocal(local: Local): Promise<void> {
  await local.harness.close();
}

function sinkFor(endpoint: string, overrides: Partial<OtlpTraceSinkOptions> = {}): { sink: OtlpTraceSink; sleeps: number[]; authorizations: string[] } {
  const sdk = new XRayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const sleeps: number[] = [];
  const authorizations: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    authorizations.push(String((init?.headers as Record<string, string>)['authorization']));
    return fetch(input, init);
  };
  const sink = new OtlpTraceSink({
    endpoint,
    region: 'eu-west-1',
    ...sdkSigningOf(sdk),
    maxRetries: 3,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    fetch: recordingFetch,
    ...overrides,
  });
  return { sink, sleeps, authorizations };
}

/** A span a minute before the Bookinfo clock. */
const recent = (overrides: Parameters<typeof span>[0] = {}) => span({ timestampMicros: (BOOKINFO_NOW_MS - 60_000) * 1000, ...overrides });

const services = async (local: Local) => (await local.client.send(new GetServiceGraphCommand(WINDOW))).Services?.map((s) => s.Name).sort();

describe('OtlpTraceSink → xray-local', () => {
  let local: Local;
  before(async () => {
    local = await startLocal();
  });
  after(async () => stopLocal(local));

  it('sends the Bookinfo batch gzip + SigV4 (scope …/eu-west-1/xray/aws4_request) and it is accepted', async () => {
    const batch = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const { sink, authorizations } = sinkFor(local.endpoint);
    const outcome = await sink.export(batch);
    assert.deepEqual(outcome, { rejected: [] });
    assert.equal(authorizations.length, 1);
    assert.match(authorizations[0] ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[^,]*content-encoding[^,]*, Signature=[0-9a-f]{64}$/);
    assert.deepEqual(await services(local), ['details.default', 'istio-ingressgateway', 'productpage.default', 'ratings.default', 'reviews.default']);
  });

  it('returns the span a partial success names as rejected, and only that one', async () => {
    const old = span({ id: '2222222222222222', timestampMicros: (BOOKINFO_NOW_MS - 14 * DAY_MS - 3_600_000) * 1000 });
    const fresh = span({ id: '3333333333333333', timestampMicros: (BOOKINFO_NOW_MS - 14 * DAY_MS + 3_600_000) * 1000 });
    // meshray's clock a day behind lets the old span through; xray-local's does not.
    const batch = translateToOtlp([fresh, old], { nowMs: BOOKINFO_NOW_MS - DAY_MS }).batches[0]!;
    const outcome = await sinkFor(local.endpoint).sink.export(batch);
    assert.equal(outcome.unfinished, undefined);
    assert.deepEqual(outcome.rejected.map((r) => [r.spanIndex, r.code, r.reason]), [[1, 'SEGMENT_REJECTED', 'partial_success']]);
    assert.match(outcome.rejected[0]?.message ?? '', /14 days/);
  });

  it('rejects every span of a request the endpoint calls malformed, with its message', async () => {
    const batch: OtlpExportBatch = { request: { resourceSpans: [] }, body: Uint8Array.from([0x0a, 0xff, 0xff, 0x01]), spanIndexes: [4, 7] };
    const outcome = await sinkFor(local.endpoint).sink.export(batch);
    assert.deepEqual(outcome.rejected.map((r) => [r.spanIndex, r.reason]), [[4, 'http_400'], [7, 'http_400']]);
    assert.match(outcome.rejected[0]?.message ?? '', /HTTP 400 .*malformed protobuf/);
  });

  it('reads whether Transaction Search is on, and says plainly when it is not; while it is off a batch comes back unfinished (TRANSACTION_SEARCH_OFF), never rejected', async () => {
    await local.client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'XRay' })); // the AWS default
    const off = await readTransactionSearch(local.client);
    assert.deepEqual([off.ready, off.destination], [false, 'XRay']);
    assert.match(off.message, /Transaction Search is not enabled/);
    const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const { sink, sleeps } = sinkFor(local.endpoint);
    const refused = await sink.export(batch);
    assert.deepEqual(refused.rejected, [], 'no span dead-lettered: they stay in Kafka');
    assert.equal(refused.unfinished?.code, 'TRANSACTION_SEARCH_OFF');
    assert.match(refused.unfinished?.message ?? '', /HTTP 400 .*supported with CloudWatch Logs as a Trace Segment Destination.*enable Transaction Search/);
    assert.deepEqual(refused.unfinished?.spanIndexes, [...batch.spanIndexes]);
    assert.equal(sleeps.length, 0, 'not retried: the operator must act');
    await local.client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
    const on = await readTransactionSearch(local.client);
    assert.deepEqual([on.ready, on.destination, on.status], [true, 'CloudWatchLogs', 'ACTIVE']);
    assert.deepEqual(await sink.export(batch), { rejected: [] });
  });

  it('gives the batch back unfinished with XRAY_ACCESS_DENIED when no credentials are found, without retrying', async () => {
    const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const noCredentials = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    };
    const { sink, sleeps, authorizations } = sinkFor(local.endpoint, { credentials: noCredentials });
    const outcome = await sink.export(batch);
    assert.equal(outcome.unfinished?.code, 'XRAY_ACCESS_DENIED');
    assert.match(outcome.unfinished?.message ?? '', /no AWS credentials/);
    assert.deepEqual([sleeps.length, authorizations.length], [0, 0]);
  });

  it('stops with NOT_READY when the consumer is no longer active', async () => {
    const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const outcome = await sinkFor(local.endpoint).sink.export(batch, { heartbeat: async () => undefined, isActive: () => false });
    assert.equal(outcome.unfinished?.code, 'NOT_READY');
  });
});

describe('OtlpTraceSink: throttling and outages', () => {
  it('honours Retry-After on 429 and sends again once it has passed', async () => {
    const local = await startLocal(2);
    try {
      const spans = bookinfoSpans();
      const first = translateToOtlp(spans.slice(0, 4), { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
      const second = translateToOtlp(spans.slice(4), { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
      const { sink, sleeps, authorizations } = sinkFor(local.endpoint, {
        retryMaxMs: 5000,
        sleep: async (ms) => {
          sleeps.push(ms);
          local.clock += ms;
        },
      });
      assert.deepEqual(await sink.export(first), { rejected: [] });
      assert.deepEqual(await sink.export(second), { rejected: [] });
      assert.deepEqual(sleeps, [2000], 'waited exactly the Retry-After xray-local gave (2 s)');
      assert.equal(authorizations.length, 3);
      assert.equal((await services(local))?.length, 5);
    } finally {
      await stopLocal(local);
    }
  });

  it('gives a still-throttled batch back as unfinished after maxRetries, nothing rejected', async () => {
    const local = await startLocal(1);
    try {
      const batch = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
      const { sink, sleeps } = sinkFor(local.endpoint, { maxRetries: 2 });
      assert.deepEqual(await sink.export(batch), { rejected: [] });
      const outcome = await sink.export(batch);
      assert.equal(outcome.unfinished?.code, 'XRAY_THROTTLED');
      assert.deepEqual(outcome.unfinished?.spanIndexes, batch.spanIndexes);
      assert.deepEqual(outcome.rejected, []);
      assert.equal(sleeps.length, 2);
    } finally {
      await stopLocal(local);
    }
  });

  it('reads the Transaction Search answer in any shape the endpoint sends it (AWS documents the text, not the body): JSON Message, plain text', async () => {
    const text = 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.';
    for (const [contentType, body] of [['application/json', JSON.stringify({ Message: text })], ['text/plain', text]] as const) {
      const server = createServer((_req, res) => { res.writeHead(400, { 'content-type': contentType }).end(body); });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
        const outcome = await sinkFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`).sink.export(batch);
        assert.equal(outcome.unfinished?.code, 'TRANSACTION_SEARCH_OFF', contentType);
        assert.deepEqual(outcome.rejected, [], `${contentType}: nothing dead-lettered`);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  it('waits a Retry-After of an hour, or an HTTP date years ahead, no longer than retryMaxMs (it slept all of it, or overflowed setTimeout)', async () => {
    for (const retryAfter of ['3600', 'Fri, 01 Jan 2100 00:00:00 GMT']) {
      let calls = 0;
      const server = createServer((_req, res) => {
        calls += 1;
        if (calls === 1) res.writeHead(429, { 'retry-after': retryAfter, 'content-type': 'text/plain' }).end('slow down');
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
        const { sink, sleeps } = sinkFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`);
        assert.deepEqual(await sink.export(batch), { rejected: [] });
        assert.deepEqual(sleeps, [1000], `Retry-After: ${retryAfter}, retryMaxMs 1000`);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  /**
   * Exports a two-span batch to an endpoint that answers every request with `status` (`contentType`, `body`); `calls`
   * counts the requests it got.
   */
  async function exportToAnswering(status: number, contentType: string, body: string, overrides: Partial<OtlpTraceSinkOptions> = {}) {
    let calls = 0;
    const server = createServer((_req, res) => { calls += 1; res.writeHead(status, { 'content-type': contentType }).end(body); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const batch = translateToOtlp([recent(), recent({ id: '2222222222222222' })], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
      const { sink, sleeps } = sinkFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, overrides);
      const outcome = await sink.export(batch);
      return { outcome, sleeps, calls };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('does not retry a 500 or 501 (OTLP: other 5xx MUST NOT be retried): every span rejected, so dead-lettered, not redelivered for good', async () => {
    for (const status of [500, 501]) {
      const { outcome, sleeps, calls } = await exportToAnswering(status, 'text/plain', 'internal');
      assert.equal(outcome.unfinished, undefined);
      assert.deepEqual(outcome.rejected.map((r) => [r.spanIndex, r.reason]), [[0, `http_${status}`], [1, `http_${status}`]]);
      assert.deepEqual([calls, sleeps], [1, []]);
    }
  });

  it('keeps the spans when the endpoint has no OTLP route (404, 405: XRAY_ENDPOINT pointing elsewhere): retried, then unfinished with what to check, never dead-lettered (newcomer trial)', async () => {
    for (const status of [404, 405]) {
      const misdirected: boolean[] = [];
      const health = { succeeded: () => undefined, failed: (_code: string, _message: string, m?: boolean) => { misdirected.push(m === true); } };
      const { outcome, sleeps, calls } = await exportToAnswering(status, 'application/json', '{"error":"NOT_FOUND","message":"no route POST /v1/traces"}', { maxRetries: 2, health });
      assert.deepEqual(misdirected, [true, true, true], `${status}: readiness is told at once that no retry mends it`);
      assert.deepEqual(outcome.rejected, [], `${status}: no span rejected`);
      assert.equal(outcome.unfinished?.code, 'XRAY_UNAVAILABLE');
      assert.deepEqual(outcome.unfinished?.spanIndexes, [0, 1]);
      assert.match(outcome.unfinished?.message ?? '', new RegExp(`^gave up after 2 retries: HTTP ${status} from .*is XRAY_ENDPOINT an X-Ray API`));
      assert.deepEqual([calls, sleeps.length], [3, 2], 'retried with backoff');
    }
  });

  it('retries an endpoint that is down with backoff, then returns every span unfinished', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const batch = translateToOtlp([recent(), recent({ id: '2222222222222222' })], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const { sink, sleeps } = sinkFor(`http://127.0.0.1:${port}/v1/traces`, { maxRetries: 3 });
    const outcome = await sink.export(batch);
    assert.equal(outcome.unfinished?.code, 'XRAY_UNAVAILABLE');
    assert.deepEqual(outcome.unfinished?.spanIndexes, [0, 1]);
    assert.match(outcome.unfinished?.message ?? '', /unreachable/);
    assert.deepEqual(sleeps, [50, 100, 200], 'full-jitter backoff (random 0.5, base 100 ms)');
  });
});

describe('OtlpTraceSink against an endpoint that never answers', () => {
  it('every call carries a timeout signal, and a call it aborts is retryable (fetch has no timeout: it held the call for good)', async () => {
    const signals: (AbortSignal | null | undefined)[] = [];
    const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const { sink } = sinkFor('http://127.0.0.1:9/v1/traces', {
      maxRetries: 1,
      // what AbortSignal.timeout does to a call still waiting when it fires
      fetch: async (_input, init) => { signals.push(init?.signal); throw new DOMException('The operation was aborted due to timeout', 'TimeoutError'); },
    });
    const outcome = await sink.export(batch);
    assert.equal(outcome.unfinished?.code, 'XRAY_UNAVAILABLE');
    assert.match(outcome.unfinished?.message ?? '', /unreachable: The operation was aborted due to timeout/);
    assert.equal(signals.length, 2, 'tried, then retried');
    assert.ok(signals.every((s) => s instanceof AbortSignal));
  });

  it('an answer whose body stalls after its headers is cut by the same signal, and retryable', async () => {
    const batch = translateToOtlp([recent()], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const { sink } = sinkFor('http://127.0.0.1:9/v1/traces', {
      maxRetries: 0,
      // headers came; reading the body is what AbortSignal.timeout aborts
      fetch: async () => new Response(new ReadableStream({ pull: (c) => { c.error(new DOMException('The operation was aborted due to timeout', 'TimeoutError')); } }), { status: 200 }),
    });
    const outcome = await sink.export(batch);
    assert.equal(outcome.unfinished?.code, 'XRAY_UNAVAILABLE');
  });
});

describe('OtlpTraceSink helpers', () => {
  it('rejects every unnamed span when a partial success does not say which it refused', () => {
    const batch = translateToOtlp([recent(), recent({ id: '2222222222222222' })], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const rejected = attributeRejections(batch, 1, 'one span was too large');
    assert.deepEqual(rejected.map((r) => [r.spanIndex, r.reason]), [[0, 'partial_success_unattributed'], [1, 'partial_success_unattributed']]);
    assert.deepEqual(attributeRejections(batch, 1, 'span 2222222222222222 refused').map((r) => r.spanIndex), [1]);
    assert.deepEqual(attributeRejections(batch, 0, ''), []);
  });

  it('names a span by its id as a whole token only: a message quoting a 64-bit trace id (zero-padded, ending with its B3 root\'s id) does not name the root', () => {
    const root = recent({ traceId: '4a3b2c1d0e0f1a2b', id: '4a3b2c1d0e0f1a2b', parentId: undefined });
    const child = recent({ traceId: '4a3b2c1d0e0f1a2b', id: '3333333333333333', parentId: '4a3b2c1d0e0f1a2b' });
    const batch = translateToOtlp([root, child], { nowMs: BOOKINFO_NOW_MS }).batches[0]!;
    const named = attributeRejections(batch, 1, 'trace 00000000000000004a3b2c1d0e0f1a2b: span 3333333333333333 is too large');
    assert.deepEqual(named.map((r) => [r.spanIndex, r.reason]), [[1, 'partial_success']]);
    assert.deepEqual(attributeRejections(batch, 1, 'span 4A3B2C1D0E0F1A2B refused').map((r) => r.spanIndex), [0], 'an id in capitals is still that id');
  });
});
