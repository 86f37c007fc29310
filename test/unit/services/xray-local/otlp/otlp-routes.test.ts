/**
 * xray-local's OTLP endpoint and Transaction Search APIs, through HTTP and the real @aws-sdk/client-xray:
 * meshray's OTLP request for the Istio 1.7.4 Bookinfo trace (shared/core/otlp), gzip + SigV4-signed with
 * @smithy/signature-v4, is accepted; the service graph xray-local draws from it (its own OTLP → segment
 * mapping) equals the one it draws from the segments path's documents for the same input;
 * ListRetrievedTraces returns every span in OTLP/JSON with repaired kinds and integer statuses;
 * BatchGetTraces does not find them; missing SigV4, malformed bodies, rejected spans and the throttle are
 * answered as the OTLP specification says.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  BatchGetTracesCommand,
  GetRetrievedTracesGraphCommand,
  GetServiceGraphCommand,
  GetTraceSegmentDestinationCommand,
  ListRetrievedTracesCommand,
  PutTraceSegmentsCommand,
  StartTraceRetrievalCommand,
  UpdateTraceSegmentDestinationCommand,
  XRayClient,
  type Service,
} from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry, type Registry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildApp, type XRayLocalDeps } from '../../../../../services/xray-local/index.ts';
import { translateToOtlp, encodeExportRequestJson } from '../../../../../shared/core/otlp/index.ts';
import { translateSpans } from '../../../../../shared/core/xray/translate.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/config.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { BOOKINFO_NOW_MS, bookinfoSpans, fixtures, span } from '../../../shared/core/otlp/support.ts';
import { decodeSpans, detectFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

class Sha256 {
  readonly #secret: Uint8Array | string | undefined;
  #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

interface Local {
  readonly app: FastifyInstance;
  readonly client: XRayClient;
  readonly port: number;
  readonly registry: Registry;
}

async function start(overrides: Partial<XRayLocalDeps> = {}): Promise<Local> {
  const registry = createRegistry();
  // Transaction Search on unless a test says otherwise: /v1/traces refuses spans with the AWS default (XRay).
  const app = buildApp({ logger: silentLogger(), registry, maxSegments: 10_000, nowMs: () => BOOKINFO_NOW_MS, traceSegmentDestination: 'CloudWatchLogs', ...overrides });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const client = new XRayClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  return { app, client, port, registry };
}

async function stop(local: Local): Promise<void> {
  local.client.destroy();
  await local.app.close();
}

const signer = (service: string) => new SignatureV4({ service, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, sha256: Sha256 });

interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

async function post(port: number, body: Uint8Array | string, options: { contentType?: string; gzip?: boolean; sign?: string | false } = {}): Promise<Sent> {
  const payload = options.gzip === true ? gzipSync(body) : Buffer.from(body);
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'content-type': options.contentType ?? 'application/x-protobuf' };
  if (options.gzip === true) headers['content-encoding'] = 'gzip';
  let sent = headers;
  if (options.sign !== false) {
    const signed = await signer(options.sign ?? 'xray').sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: '/v1/traces', headers, body: payload, query: {} });
    sent = signed.headers as Record<string, string>;
  }
  const { host: _host, ...fetchHeaders } = sent;
  const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: fetchHeaders, body: payload });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

function decodeBody(body: string): Span[] {
  const bytes = new TextEncoder().encode(body);
  const result = decodeSpans(bytes, detectFormat(bytes, 'application/json') ?? 'json-v2');
  assert.ok(result.ok);
  return result.value;
}

const RpcStatus = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RpcStatus);

const BOOKINFO_TRACE_ID = '1-eacd2e2b-8a2daf31f6604fffcf8ffe2a';
const WINDOW = { StartTime: new Date(BOOKINFO_NOW_MS - 3_600_000), EndTime: new Date(BOOKINFO_NOW_MS) };

/** Service names and their edges by name: what a service map shows. */
function mapOf(services: readonly Service[] | undefined): string[] {
  const names = new Map((services ?? []).map((s) => [s.ReferenceId, s.Name]));
  return (services ?? []).map((s) => `${s.Name}[${s.Type}] -> ${(s.Edges ?? []).map((e) => names.get(e.ReferenceId)).sort().join(',')}`).sort();
}

describe('xray-local /v1/traces with the Bookinfo trace', () => {
  let otlp: Local;
  let segments: Local;
  before(async () => {
    otlp = await start();
    segments = await start();
  });
  after(async () => {
    await stop(otlp);
    await stop(segments);
  });

  it('accepts the gzip protobuf request with no partial success', async () => {
    const batch = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS }).batches[0];
    assert.ok(batch !== undefined);
    const sent = await post(otlp.port, batch.body, { gzip: true });
    assert.equal(sent.status, 200, sent.body.toString());
    assert.equal(sent.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(sent.body.length, 0, 'an empty ExportTraceServiceResponse: no partial_success');
  });

  it('draws the same service map as the segments path does for the same spans', async () => {
    const docs = translateSpans(bookinfoSpans(), { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: BOOKINFO_NOW_MS, epochs: new MemoryEpochStore() }).documents;
    const put = await segments.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => d.json) }));
    assert.deepEqual(put.UnprocessedTraceSegments, []);
    const fromSegments = await segments.client.send(new GetServiceGraphCommand(WINDOW));
    const fromSpans = await otlp.client.send(new GetServiceGraphCommand(WINDOW));
    assert.equal(mapOf(fromSpans.Services).length, 5);
    assert.deepEqual(mapOf(fromSpans.Services), mapOf(fromSegments.Services));

    // Transaction Search also returns PutTraceSegments documents, converted to spans.
    const traceId = docs[0]!.traceId;
    const { RetrievalToken } = await segments.client.send(new StartTraceRetrievalCommand({ TraceIds: [traceId], ...WINDOW }));
    const listed = await segments.client.send(new ListRetrievedTracesCommand({ RetrievalToken, TraceFormat: 'OTEL' }));
    const spans = (listed.Traces?.[0]?.Spans ?? []).map((x) => JSON.parse(x.Document ?? '{}') as { kind: number; traceId: string; attributes: { key: string; value: Record<string, unknown> }[] });
    assert.equal(spans.length, docs.length);
    assert.deepEqual(spans.map((x) => x.kind).sort(), [2, 2, 2, 2, 2, 3, 3, 3, 3], '5 segments (4 services + the gateway), 4 remote calls');
    for (const x of spans) {
      assert.equal(x.traceId, traceId.slice(2).replace('-', ''));
      assert.deepEqual(x.attributes.find((a) => a.key === 'http.response.status_code')?.value, { intValue: '200' });
    }
  });

  it('returns every span through StartTraceRetrieval + ListRetrievedTraces (OTEL), kinds repaired, statuses integers', async () => {
    const { RetrievalToken } = await otlp.client.send(new StartTraceRetrievalCommand({ TraceIds: [BOOKINFO_TRACE_ID], ...WINDOW }));
    const listed = await otlp.client.send(new ListRetrievedTracesCommand({ RetrievalToken, TraceFormat: 'OTEL' }));
    assert.equal(listed.RetrievalStatus, 'COMPLETE');
    assert.equal(listed.Traces?.length, 1);
    const spans = (listed.Traces?.[0]?.Spans ?? []).map((s) => JSON.parse(s.Document ?? '{}') as { spanId: string; kind: number; attributes: { key: string; value: Record<string, unknown> }[]; resource: { attributes: { key: string }[] } });
    const input = bookinfoSpans();
    assert.deepEqual(spans.map((s) => s.spanId).sort(), input.map((s) => s.id).sort());
    for (const s of spans) {
      const source = input.find((x) => x.id === s.spanId);
      assert.equal(s.kind, source?.tags['upstream_cluster']?.startsWith('inbound|') ? 2 : 3);
      assert.deepEqual(s.attributes.find((a) => a.key === 'http.response.status_code')?.value, { intValue: '200' });
      assert.ok(s.resource.attributes.some((a) => a.key === 'service.name'));
    }
    const graph = await otlp.client.send(new GetRetrievedTracesGraphCommand({ RetrievalToken }));
    assert.deepEqual(graph.Services?.map((s) => s.Service?.Name).sort(), ['details.default', 'istio-ingressgateway', 'productpage.default', 'ratings.default', 'reviews.default']);
  });

  it('takes the W3C form of the trace id in StartTraceRetrieval too', async () => {
    const { RetrievalToken } = await otlp.client.send(new StartTraceRetrievalCommand({ TraceIds: ['eacd2e2b8a2daf31f6604fffcf8ffe2a'], ...WINDOW }));
    const listed = await otlp.client.send(new ListRetrievedTracesCommand({ RetrievalToken, TraceFormat: 'XRAY' }));
    assert.equal(listed.Traces?.[0]?.Spans?.length, 9, '8 spans → 9 segment documents (the gateway gets a segment of its own)');
  });

  it('BatchGetTraces does not find spans that went to the OTLP endpoint', async () => {
    const got = await otlp.client.send(new BatchGetTracesCommand({ TraceIds: [BOOKINFO_TRACE_ID] }));
    assert.deepEqual(got.Traces, []);
    assert.deepEqual(got.UnprocessedTraceIds, [BOOKINFO_TRACE_ID]);
  });

});

describe('xray-local /v1/traces with the AWS default destination (XRay: Transaction Search off)', () => {
  it('refuses spans with AWS\'s message and stores none; once the destination is CloudWatchLogs it takes them', async () => {
    const local = await start({ traceSegmentDestination: 'XRay' });
    try {
      assert.equal((await local.client.send(new GetTraceSegmentDestinationCommand({}))).Destination, 'XRay');
      const body = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS }).batches[0]!.body;
      const refused = await post(local.port, body);
      assert.equal(refused.status, 400);
      assert.equal(RpcStatus.toObject(RpcStatus.decode(refused.body))['message'], 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.');
      const updated = await local.client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
      assert.equal(updated.Destination, 'CloudWatchLogs');
      assert.equal((await local.client.send(new GetTraceSegmentDestinationCommand({}))).Destination, 'CloudWatchLogs');
      const { RetrievalToken } = await local.client.send(new StartTraceRetrievalCommand({ TraceIds: [BOOKINFO_TRACE_ID], ...WINDOW }));
      const before = await local.client.send(new ListRetrievedTracesCommand({ RetrievalToken, TraceFormat: 'XRAY' }));
      assert.deepEqual(before.Traces ?? [], [], 'nothing of the refused request was stored');
      assert.equal((await post(local.port, body)).status, 200);
      const again = await local.client.send(new StartTraceRetrievalCommand({ TraceIds: [BOOKINFO_TRACE_ID], ...WINDOW }));
      const after = await local.client.send(new ListRetrievedTracesCommand({ RetrievalToken: again.RetrievalToken, TraceFormat: 'XRAY' }));
      assert.equal(after.Traces?.[0]?.Spans?.length, 9);
    } finally {
      await stop(local);
    }
  });
});

describe('xray-local /v1/traces answers', () => {
  let local: Local;
  before(async () => {
    local = await start();
  });
  after(async () => stop(local));

  const request = (spans = [span({ timestampMicros: BOOKINFO_NOW_MS * 1000 - 1000 })]) => translateToOtlp(spans, { nowMs: BOOKINFO_NOW_MS }).batches[0]!;

  it('refuses a request without SigV4, saying the signature is not verified', async () => {
    const sent = await post(local.port, request().body, { sign: false });
    assert.equal(sent.status, 403);
    const status = RpcStatus.toObject(RpcStatus.decode(sent.body)) as { message: string };
    assert.match(status.message, /missing Authorization header/);
    assert.match(status.message, /signature is not verified/);
  });

  it('refuses a SigV4 header scoped to another service', async () => {
    const sent = await post(local.port, request().body, { sign: 'logs' });
    assert.equal(sent.status, 403);
    assert.match(RpcStatus.toObject(RpcStatus.decode(sent.body))['message'] as string, /signed for service "logs"/);
  });

  it('answers 400 with a Status message for a malformed protobuf body', async () => {
    const sent = await post(local.port, Uint8Array.from([0x0a, 0xff, 0xff, 0x01]));
    assert.equal(sent.status, 400);
    assert.match(RpcStatus.toObject(RpcStatus.decode(sent.body))['message'] as string, /malformed protobuf/);
  });

  it('answers 400 in JSON for a malformed JSON body', async () => {
    const sent = await post(local.port, '{"resourceSpans": 5}', { contentType: 'application/json' });
    assert.equal(sent.status, 400);
    assert.match((JSON.parse(sent.body.toString()) as { message: string }).message, /resourceSpans/);
  });

  it('accepts OTLP/JSON and reports a span older than 14 days in partial_success', async () => {
    // Two spans 2 h apart (within the 24 h a request may span), one just past 14 days, one just inside.
    const DAY_MS = 86_400_000;
    const old = span({ id: '2222222222222222', timestampMicros: (BOOKINFO_NOW_MS - 14 * DAY_MS - 3_600_000) * 1000 });
    const fresh = span({ id: '3333333333333333', timestampMicros: (BOOKINFO_NOW_MS - 14 * DAY_MS + 3_600_000) * 1000 });
    const r = translateToOtlp([fresh], { nowMs: BOOKINFO_NOW_MS }).batches[0]!.request;
    // meshray would refuse the old span itself; build it with a clock that lets it through.
    const oldRequest = translateToOtlp([old], { nowMs: BOOKINFO_NOW_MS - DAY_MS }).batches[0]!.request;
    const both = { resourceSpans: [...r.resourceSpans, ...oldRequest.resourceSpans] };
    const sent = await post(local.port, encodeExportRequestJson(both), { contentType: 'application/json', gzip: true });
    assert.equal(sent.status, 200, sent.body.toString());
    const body = JSON.parse(sent.body.toString()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess?.rejectedSpans, '1');
    assert.match(body.partialSuccess?.errorMessage ?? '', /14 days/);
    const spans = await local.registry.getSingleMetric('meshray_xray_local_otlp_spans_total')?.get();
    const count = (outcome: string, reason: string) => spans?.values.find((v) => v.labels['outcome'] === outcome && v.labels['reason'] === reason)?.value;
    assert.equal(count('rejected', 'too_old'), 1);
    assert.ok((count('accepted', 'ok') ?? 0) >= 1);
  });

  it('answers 413 when the body passes 5 MB once gunzipped', async () => {
    const sent = await post(local.port, new Uint8Array(5 * 1024 * 1024 + 10), { gzip: true });
    assert.equal(sent.status, 413);
    assert.match(RpcStatus.toObject(RpcStatus.decode(sent.body))['message'] as string, /5 MB/);
  });

  it('answers 400 for more than 10,000 spans in one request', async () => {
    const one = translateToOtlp([span({ timestampMicros: BOOKINFO_NOW_MS * 1000 - 1000 })], { nowMs: BOOKINFO_NOW_MS }).batches[0]!.request;
    const template = one.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const spans = Array.from({ length: 10_001 }, (_, i) => ({ traceId: template.traceId, spanId: (0x10000000 + i).toString(16).padStart(16, '0'), name: 'x', kind: 2, startTimeUnixNano: template.startTimeUnixNano, endTimeUnixNano: template.endTimeUnixNano }));
    const body = JSON.stringify({ resourceSpans: [{ resource: one.resourceSpans[0]!.resource, scopeSpans: [{ scope: { name: 't' }, spans }] }] });
    const sent = await post(local.port, body, { contentType: 'application/json', gzip: true });
    assert.equal(sent.status, 400);
    assert.match((JSON.parse(sent.body.toString()) as { message: string }).message, /10001 spans, more than the endpoint's 10,000/);
  });

  it('answers 415 for a media type OTLP/HTTP does not define', async () => {
    const sent = await post(local.port, 'x', { contentType: 'text/plain' });
    assert.equal(sent.status, 415);
  });
});

describe('xray-local /v1/traces throttle', () => {
  it('answers 429 with Retry-After while the throttle is out of room, and accepts once that time has passed', async () => {
    let nowMs = BOOKINFO_NOW_MS;
    const local = await start({ throttleSegmentsPerSecond: 2, nowMs: () => nowMs });
    try {
      const spans = bookinfoSpans();
      const first = translateToOtlp(spans.slice(0, 4), { nowMs }).batches[0]!;
      const second = translateToOtlp(spans.slice(4), { nowMs }).batches[0]!;
      assert.equal((await post(local.port, first.body)).status, 200, 'a full bucket admits a request of any size (4 spans, 2 tokens)');
      const refused = await post(local.port, second.body);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '2', 'the 2-span debt plus one token, at 2 per second');
      assert.match(RpcStatus.toObject(RpcStatus.decode(refused.body))['message'] as string, /Rate exceeded/);
      const stored = async () => (await local.client.send(new GetServiceGraphCommand(WINDOW))).Services?.map((s) => s.Name).sort();
      const before = await stored();
      nowMs += 1000;
      assert.equal((await post(local.port, second.body)).status, 429, 'still in debt after 1 s');
      assert.deepEqual(await stored(), before, 'nothing of a refused request is stored');
      nowMs += 1000;
      assert.equal((await post(local.port, second.body)).status, 200);
      assert.equal((await stored())?.length, 5);
    } finally {
      await stop(local);
    }
  });
});

describe('xray-local /v1/traces with the kourier payloads', () => {
  /** 2023-07-13T09:55:00Z: minutes after the three kourier bodies (09:49:45–09:49:47Z). */
  const KOURIER_NOW_MS = Date.UTC(2023, 6, 13, 9, 55, 0);
  const window = { StartTime: new Date(KOURIER_NOW_MS - 3_600_000), EndTime: new Date(KOURIER_NOW_MS) };

  it('draws the same service map as the segments path, and returns every span', async () => {
    const bodies = (JSON.parse(readFileSync(`${fixtures}zipkin/kourier-envoy-1.24-v2-posts.json`, 'utf8')) as unknown[]).map((b) => JSON.stringify(b));
    const otlp = await start({ nowMs: () => KOURIER_NOW_MS });
    const segments = await start({ nowMs: () => KOURIER_NOW_MS });
    try {
      const epochs = new MemoryEpochStore();
      const spanIds: string[] = [];
      for (const body of bodies) {
        const spans = decodeBody(body);
        spanIds.push(...spans.map((s) => s.id));
        const out = translateToOtlp(spans, { nowMs: KOURIER_NOW_MS });
        assert.deepEqual(out.rejected, []);
        for (const batch of out.batches) assert.equal((await post(otlp.port, batch.body, { gzip: true })).status, 200);
        const docs = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: KOURIER_NOW_MS, epochs }).documents;
        const put = await segments.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => d.json) }));
        assert.deepEqual(put.UnprocessedTraceSegments, []);
      }
      const fromSpans = mapOf((await otlp.client.send(new GetServiceGraphCommand(window))).Services);
      assert.deepEqual(fromSpans, ['kourier-knative[service] -> ']);
      assert.deepEqual(fromSpans, mapOf((await segments.client.send(new GetServiceGraphCommand(window))).Services));
      const traceIds = [...new Set(bodies.flatMap((b) => decodeBody(b).map((s) => `1-${s.traceId.padStart(32, '0').slice(0, 8)}-${s.traceId.padStart(32, '0').slice(8)}`)))];
      const { RetrievalToken } = await otlp.client.send(new StartTraceRetrievalCommand({ TraceIds: traceIds, ...window }));
      const listed = await otlp.client.send(new ListRetrievedTracesCommand({ RetrievalToken, TraceFormat: 'OTEL' }));
      const returned = (listed.Traces ?? []).flatMap((t) => (t.Spans ?? []).map((s) => s.Id));
      assert.deepEqual(returned.sort(), spanIds.sort());
    } finally {
      await stop(otlp);
      await stop(segments);
    }
  });
});
