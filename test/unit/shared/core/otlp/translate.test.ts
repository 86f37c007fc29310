/**
 * shared/core/otlp translateToOtlp: the Istio 1.7.4 Bookinfo fixture → OTLP (golden file, reviewed by hand;
 * regenerate with UPDATE_GOLDEN=1), and table tests for each repair and each endpoint limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { translateToOtlp, SpanKindOtlp, StatusCodeOtlp, OTLP_ENDPOINT_LIMITS, encodeExportRequestJson } from '../../../../../shared/core/otlp/index.ts';
import type { OtlpTranslateOutput } from '../../../../../shared/core/otlp/index.ts';
import { deriveIdByHash, sharedServerRole } from '../../../../../shared/core/xray/ids.ts';
import { BOOKINFO_NOW_MS, NOW_MS, START_MICROS, bookinfoSpans, fixtures, flatSpans, span } from './support.ts';

const update = process.env['UPDATE_GOLDEN'] === '1';
const requestsOf = (out: OtlpTranslateOutput) => out.batches.map((b) => b.request);

describe('translateToOtlp: Istio 1.7.4 Bookinfo', () => {
  const input = bookinfoSpans();
  const out = translateToOtlp(input, { nowMs: BOOKINFO_NOW_MS });

  it('matches the reviewed golden request', () => {
    assert.equal(out.batches.length, 1);
    const json = `${JSON.stringify(out.batches[0]?.request, null, 2)}\n`;
    const path = `${fixtures}golden/bookinfo-istio-1.7.4.otlp.json`;
    if (update) writeFileSync(path, json);
    assert.equal(json, readFileSync(path, 'utf8'), 'golden differs; if intended, regenerate with UPDATE_GOLDEN=1 and review');
  });

  it('sends every span once, grouped by service, none rejected', () => {
    assert.deepEqual(out.rejected, []);
    const spans = flatSpans(requestsOf(out));
    assert.equal(spans.length, input.length);
    assert.deepEqual(new Set(spans.map((s) => s.span.spanId)), new Set(input.map((s) => s.id)));
    const request = out.batches[0]?.request;
    assert.deepEqual(request?.resourceSpans.map((rs) => rs.resource.attributes.find((a) => a.key === 'service.name')?.value), [
      { stringValue: 'istio-ingressgateway' },
      { stringValue: 'productpage.default' },
      { stringValue: 'details.default' },
      { stringValue: 'reviews.default' },
      { stringValue: 'ratings.default' },
    ]);
    assert.deepEqual([...(out.batches[0]?.spanIndexes ?? [])].sort((a, b) => a - b), input.map((_, i) => i));
  });

  it('names each call as the segments path does: aws.remote.service / peer.service on CLIENT spans', () => {
    const clients = flatSpans(requestsOf(out)).filter((s) => s.span.kind === SpanKindOtlp.CLIENT);
    assert.deepEqual(clients.map((s) => [s.resource['service.name'], s.attributes['aws.remote.service'], s.attributes['peer.service']]), [
      ['istio-ingressgateway', 'productpage.default', 'productpage.default'],
      ['productpage.default', 'details.default', 'details.default'],
      ['productpage.default', 'reviews.default', 'reviews.default'],
      ['reviews.default', 'ratings.default', 'ratings.default'],
    ]);
    for (const s of flatSpans(requestsOf(out)).filter((x) => x.span.kind === SpanKindOtlp.SERVER)) {
      assert.equal(s.attributes['aws.remote.service'], undefined);
    }
  });

  it('writes HTTP status as an integer with the current semantic conventions', () => {
    for (const s of flatSpans(requestsOf(out))) {
      const status = s.span.attributes.find((a) => a.key === 'http.response.status_code');
      assert.deepEqual(status?.value, { intValue: '200' });
      assert.equal(s.attributes['http.request.method'], 'GET');
      assert.equal(s.attributes['http.status_code'], undefined, 'the old name is not repeated');
      assert.equal(s.attributes['http.method'], undefined);
      assert.equal(typeof s.attributes['url.full'], 'string');
      assert.equal(s.span.status.code, StatusCodeOtlp.UNSET);
    }
  });

  it('uses the 128-bit trace id as is and exact nanosecond times', () => {
    const gateway = flatSpans(requestsOf(out)).find((s) => s.span.spanId === 'f6604fffcf8ffe2a');
    assert.equal(gateway?.span.traceId, 'eacd2e2b8a2daf31f6604fffcf8ffe2a');
    assert.equal(gateway?.span.startTimeUnixNano, '1561141508707487000');
    assert.equal(gateway?.span.endTimeUnixNano, '1561141508787072000');
    assert.equal(gateway?.span.parentSpanId, undefined);
  });
});

describe('translateToOtlp: repairs', () => {
  it('repairs every sidecar span Istio <= 1.7.3 marked CLIENT from upstream_cluster, and marks it', () => {
    const allClient = bookinfoSpans().map((s) => ({ ...s, kind: 'CLIENT' as const }));
    const out = translateToOtlp(allClient, { nowMs: BOOKINFO_NOW_MS });
    const spans = flatSpans(requestsOf(out));
    const servers = spans.filter((s) => s.span.kind === SpanKindOtlp.SERVER);
    assert.equal(out.stats.kindRepaired, 4);
    assert.deepEqual(servers.map((s) => s.resource['service.name']).sort(), ['details.default', 'productpage.default', 'ratings.default', 'reviews.default']);
    for (const s of servers) assert.equal(s.attributes['meshray.kind_repaired_from'], 'CLIENT');
    // The same map as with correct kinds.
    const fixed = flatSpans(requestsOf(translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS })));
    const edges = (list: typeof spans) => list.filter((s) => s.span.kind === SpanKindOtlp.CLIENT).map((s) => `${String(s.resource['service.name'])}->${String(s.attributes['aws.remote.service'])}`).sort();
    assert.deepEqual(edges(spans), edges(fixed));
  });

  it('writes a span without kind as INTERNAL', () => {
    const out = translateToOtlp([span({ kind: undefined, parentId: '2222222222222222' })], { nowMs: NOW_MS });
    assert.equal(flatSpans(requestsOf(out))[0]?.span.kind, SpanKindOtlp.INTERNAL);
  });

  it('gives a SERVER span sharing its CLIENT id the derived id, parents it on the client, re-links its children', () => {
    const client = span({ id: 'aaaaaaaaaaaaaaaa', kind: 'CLIENT', localEndpoint: { serviceName: 'productpage.default' }, tags: { upstream_cluster: 'outbound|9080||reviews.default.svc.cluster.local' } });
    const server = span({ id: 'aaaaaaaaaaaaaaaa', parentId: '9999999999999999', kind: 'SERVER', shared: true, localEndpoint: { serviceName: 'reviews.default' } });
    const child = span({ id: 'bbbbbbbbbbbbbbbb', parentId: 'aaaaaaaaaaaaaaaa', kind: 'CLIENT', localEndpoint: { serviceName: 'reviews.default' }, tags: { upstream_cluster: 'outbound|9080||ratings.default.svc.cluster.local' } });
    const out = translateToOtlp([client, server, child], { nowMs: NOW_MS });
    const spans = flatSpans(requestsOf(out));
    const derived = deriveIdByHash('aaaaaaaaaaaaaaaa', sharedServerRole('reviews.default'));
    const s = spans.find((x) => x.span.kind === SpanKindOtlp.SERVER);
    assert.equal(s?.span.spanId, derived);
    assert.equal(s?.span.parentSpanId, 'aaaaaaaaaaaaaaaa');
    assert.equal(s?.attributes['meshray.zipkin_span_id'], 'aaaaaaaaaaaaaaaa');
    assert.equal(spans.find((x) => x.span.spanId === 'bbbbbbbbbbbbbbbb')?.span.parentSpanId, derived);
    assert.equal(new Set(spans.map((x) => x.span.spanId)).size, 3, 'span ids are unique');
  });

  it('names an unnamed call after the SERVER span it reached in the batch', () => {
    const client = span({ id: 'aaaaaaaaaaaaaaaa', kind: 'CLIENT', localEndpoint: { serviceName: 'productpage.default' } });
    const server = span({ id: 'cccccccccccccccc', parentId: 'aaaaaaaaaaaaaaaa', kind: 'SERVER', localEndpoint: { serviceName: 'reviews.default' } });
    const spans = flatSpans(requestsOf(translateToOtlp([client, server], { nowMs: NOW_MS })));
    assert.equal(spans.find((x) => x.span.kind === SpanKindOtlp.CLIENT)?.attributes['aws.remote.service'], 'reviews.default');
  });

  it('zero-pads a 64-bit trace id, or takes the 128-bit id of the same trace in the batch', () => {
    const narrow = flatSpans(requestsOf(translateToOtlp([span({ traceId: 'e5f60718293a4b5c' })], { nowMs: NOW_MS })));
    assert.equal(narrow[0]?.span.traceId, '0000000000000000e5f60718293a4b5c');
    const mixed = flatSpans(requestsOf(translateToOtlp([span({ traceId: 'e5f60718293a4b5c' }), span({ id: '2222222222222222' })], { nowMs: NOW_MS })));
    assert.deepEqual(mixed.map((s) => s.span.traceId), ['65e1c3f0a1b2c3d4e5f60718293a4b5c', '65e1c3f0a1b2c3d4e5f60718293a4b5c']);
  });

  it('keeps each span\'s own 128-bit trace id when two traces share only their low 64 bits (assembled together)', () => {
    // the assembly window holds spans by the low 64 bits (spanRecordKeyOf): both traces reach one translation
    const other = '05e1c3f0a1b2c3d4e5f60718293a4b5c';
    const spans = flatSpans(requestsOf(translateToOtlp([span({}), span({ traceId: other }), span({ traceId: 'e5f60718293a4b5c', id: '3333333333333333' })], { nowMs: NOW_MS })));
    assert.deepEqual(spans.map((s) => s.span.traceId).sort(), [other, '65e1c3f0a1b2c3d4e5f60718293a4b5c', '65e1c3f0a1b2c3d4e5f60718293a4b5c'].sort());
  });

  it('turns Zipkin annotations into span events with nanosecond times', () => {
    const spans = flatSpans(requestsOf(translateToOtlp([span({ annotations: [{ timestampMicros: START_MICROS + 5, value: 'retry' }] })], { nowMs: NOW_MS })));
    assert.deepEqual(spans[0]?.span.events, [{ timeUnixNano: `${START_MICROS + 5}000`, name: 'retry', attributes: [] }]);
  });
});

describe('translateToOtlp: status', () => {
  const cases: { name: string; kind: 'CLIENT' | 'SERVER'; tags: Record<string, string>; code: number; message?: string }[] = [
    { name: 'client 200', kind: 'CLIENT', tags: { 'http.status_code': '200' }, code: StatusCodeOtlp.UNSET },
    { name: 'client 404 is an error', kind: 'CLIENT', tags: { 'http.status_code': '404' }, code: StatusCodeOtlp.ERROR, message: 'HTTP 404' },
    { name: 'server 404 is the caller\'s fault', kind: 'SERVER', tags: { 'http.status_code': '404' }, code: StatusCodeOtlp.UNSET },
    { name: 'server 503 with UF', kind: 'SERVER', tags: { 'http.status_code': '503', response_flags: 'UF,URX' }, code: StatusCodeOtlp.ERROR, message: 'HTTP 503; UF: upstream connection failure; URX: upstream retry limit exceeded' },
    { name: 'response flag alone', kind: 'CLIENT', tags: { 'http.status_code': '0', response_flags: 'UH' }, code: StatusCodeOtlp.ERROR, message: 'UH: no healthy upstream' },
    { name: 'gRPC failure in an HTTP 200 (client)', kind: 'CLIENT', tags: { 'http.status_code': '200', 'grpc.status_code': '5', 'grpc.message': 'not found' }, code: StatusCodeOtlp.ERROR, message: 'gRPC 5: not found' },
    { name: 'gRPC NOT_FOUND on a server is not a server error', kind: 'SERVER', tags: { 'http.status_code': '200', 'grpc.status_code': '5' }, code: StatusCodeOtlp.UNSET },
    { name: 'gRPC UNAVAILABLE on a server', kind: 'SERVER', tags: { 'grpc.status_code': '14' }, code: StatusCodeOtlp.ERROR, message: 'gRPC 14' },
    { name: 'error tag', kind: 'SERVER', tags: { error: 'boom' }, code: StatusCodeOtlp.ERROR, message: 'error: boom' },
    { name: 'an empty error tag, as the segments path reads it (found by review)', kind: 'SERVER', tags: { error: '' }, code: StatusCodeOtlp.ERROR, message: 'error tag set on the span' },
    { name: 'error tag false', kind: 'SERVER', tags: { error: 'false' }, code: StatusCodeOtlp.UNSET },
    { name: 'no-failure flag -', kind: 'SERVER', tags: { response_flags: '-' }, code: StatusCodeOtlp.UNSET },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spans = flatSpans(requestsOf(translateToOtlp([span({ kind: c.kind, tags: c.tags })], { nowMs: NOW_MS })));
      assert.deepEqual(spans[0]?.span.status, c.message === undefined ? { code: c.code } : { code: c.code, message: c.message });
    });
  }

  it('writes gRPC status as rpc.grpc.status_code (integer)', () => {
    const spans = flatSpans(requestsOf(translateToOtlp([span({ tags: { 'grpc.status_code': '14' } })], { nowMs: NOW_MS })));
    assert.equal(spans[0]?.attributes['rpc.grpc.status_code'], 14);
    assert.equal(spans[0]?.attributes['rpc.system'], 'grpc');
  });
});

describe('translateToOtlp: endpoint limits', () => {
  const DAY_MS = 86_400_000;
  it('rejects spans more than 14 days old or 2 hours ahead, keeps the ones at the edges', () => {
    const micros = (ms: number) => ms * 1000;
    const out = translateToOtlp([
      span({ id: '1000000000000001', timestampMicros: micros(NOW_MS - 14 * DAY_MS - 1) }),
      span({ id: '1000000000000002', timestampMicros: micros(NOW_MS - 14 * DAY_MS + 1000) }),
      span({ id: '1000000000000003', timestampMicros: micros(NOW_MS + 2 * 3_600_000) }),
      span({ id: '1000000000000004', timestampMicros: micros(NOW_MS + 2 * 3_600_000 + 1) }),
    ], { nowMs: NOW_MS });
    assert.deepEqual(out.rejected.map((r) => [r.spanIndex, r.reason]), [[0, 'too_old'], [3, 'too_far_ahead']]);
    assert.deepEqual(flatSpans(requestsOf(out)).map((s) => s.span.spanId).sort(), ['1000000000000002', '1000000000000003']);
  });

  it('rejects invalid ids and spans without time', () => {
    const out = translateToOtlp([span({ id: 'xyz' }), span({ traceId: '0000000000000000' }), span({ timestampMicros: undefined })], { nowMs: NOW_MS });
    assert.deepEqual(out.rejected.map((r) => r.reason), ['invalid_id', 'invalid_id', 'no_timestamp']);
    assert.equal(out.batches.length, 0);
  });

  it('trims a span over 200 KB: largest non-essential attributes first, counted and marked', () => {
    const big = 'x'.repeat(150 * 1024);
    const out = translateToOtlp([span({ kind: 'CLIENT', tags: { 'http.status_code': '200', 'http.method': 'GET', a: big, b: big, small: 'kept' } })], { nowMs: NOW_MS });
    const s = flatSpans(requestsOf(out))[0];
    assert.equal(out.stats.spansTrimmed, 1);
    assert.equal(s?.span.droppedAttributesCount, 1);
    assert.equal(s?.attributes['meshray.trimmed'], 'attributes');
    assert.deepEqual(s?.attributes['meshray.trimmed_attributes'], ['a'], 'names what it dropped');
    assert.equal(s?.attributes['small'], 'kept');
    assert.equal(s?.attributes['http.response.status_code'], 200);
    assert.ok(Buffer.byteLength(JSON.stringify(s?.span)) <= OTLP_ENDPOINT_LIMITS.maxSpanBytes);
  });

  it('holds the caller put in front of a root waypoint span to 200 KB too (it carries the waypoint span\'s tags; it went out untrimmed and was refused)', () => {
    const big = 'x'.repeat(150 * 1024);
    const waypoint = span({
      id: 'abababababababab', parentId: undefined, kind: 'SERVER', localEndpoint: { serviceName: 'waypoint.default' },
      tags: {
        node_id: 'waypoint~10.0.0.1~waypoint-abc.default~default.svc.cluster.local',
        'istio.source_canonical_service': 'productpage', 'istio.source_namespace': 'default',
        'istio.destination_canonical_service': 'reviews', 'istio.destination_namespace': 'default', a: big, b: big,
      },
    });
    const out = translateToOtlp([waypoint], { nowMs: NOW_MS });
    assert.deepEqual(out.rejected, []);
    const spans = flatSpans(requestsOf(out));
    assert.deepEqual(spans.map((s) => s.span.kind).sort(), [SpanKindOtlp.SERVER, SpanKindOtlp.CLIENT].sort(), 'the waypoint span and its caller');
    for (const s of spans) {
      assert.ok(Buffer.byteLength(JSON.stringify(s.span)) <= OTLP_ENDPOINT_LIMITS.maxSpanBytes, `${s.span.kind}: within the span limit`);
      assert.equal(s.attributes['meshray.trimmed'], 'attributes');
    }
  });

  it('rejects a span that cannot fit 200 KB even trimmed', () => {
    const out = translateToOtlp([span({ name: 'n'.repeat(210 * 1024) })], { nowMs: NOW_MS });
    assert.deepEqual(out.rejected.map((r) => r.reason), ['too_large']);
  });

  it('packs at most maxSpansPerRequest spans per request', () => {
    const spans = Array.from({ length: 7 }, (_, i) => span({ id: (0x10000000 + i).toString(16).padStart(16, '0') }));
    const out = translateToOtlp(spans, { nowMs: NOW_MS, limits: { ...OTLP_ENDPOINT_LIMITS, maxSpansPerRequest: 3 } });
    assert.deepEqual(out.batches.map((b) => b.spanIndexes.length), [3, 3, 1]);
    assert.deepEqual(out.batches.flatMap((b) => b.spanIndexes), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('keeps the spans of one request within 24 h of each other', () => {
    const hour = 3_600_000_000;
    const spans = [span({ id: '1000000000000001', timestampMicros: START_MICROS - 30 * hour }), span({ id: '1000000000000002' }), span({ id: '1000000000000003', timestampMicros: START_MICROS - 29 * hour })];
    const out = translateToOtlp(spans, { nowMs: NOW_MS });
    assert.deepEqual(out.batches.map((b) => b.spanIndexes), [[0, 2], [1]]);
  });

  it('keeps every request body under maxRequestBytes', () => {
    const spans = Array.from({ length: 40 }, (_, i) => span({ id: (0x10000000 + i).toString(16).padStart(16, '0'), tags: { payload: 'p'.repeat(1000) } }));
    const maxRequestBytes = 8 * 1024;
    const out = translateToOtlp(spans, { nowMs: NOW_MS, limits: { ...OTLP_ENDPOINT_LIMITS, maxRequestBytes } });
    assert.ok(out.batches.length > 1);
    for (const b of out.batches) assert.ok(b.body.length <= maxRequestBytes, `${b.body.length} bytes`);
    assert.equal(out.batches.reduce((n, b) => n + b.spanIndexes.length, 0), 40);
  });

  it('is deterministic: the same spans give the same bytes', () => {
    const a = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS });
    const b = translateToOtlp(bookinfoSpans(), { nowMs: BOOKINFO_NOW_MS });
    assert.deepEqual(a.batches[0]?.body, b.batches[0]?.body);
    assert.equal(encodeExportRequestJson(a.batches[0]!.request), encodeExportRequestJson(b.batches[0]!.request));
  });
});
