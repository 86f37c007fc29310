import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { fixture, makeApp, toProtoBody } from './helpers.ts';
import { v1ClientAndServerSpan } from '../../../support/spans.ts';

const bookinfo = fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json');
const bookinfoSpans = JSON.parse(bookinfo) as Record<string, unknown>[];
const kourierBodies = (JSON.parse(fixture('kourier-envoy-1.24-v2-posts.json')) as unknown[][]).map((b) => JSON.stringify(b));
const canonical = JSON.parse(fixture('zipkin-canonical-v1-v2-encodings.json')) as Record<string, unknown>;
const v1Body = JSON.stringify([canonical['span_JSON_V1']]);
const v2Body = JSON.stringify([canonical['span_JSON_V2']]);
const json = { 'content-type': 'application/json' };

describe('POST /api/v2/spans', () => {
  it('takes v2 JSON and answers 202 with an empty body, like Zipkin', async () => {
    const { app, publisher } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
    assert.equal(res.statusCode, 202);
    assert.equal(res.body, '');
    assert.equal(publisher.spans.length, bookinfoSpans.length);
    assert.equal(publisher.spans[0]?.traceId, 'eacd2e2b8a2daf31f6604fffcf8ffe2a');
  });

  it('answers an unknown route (or Zipkin\'s query API) 404 ROUTE_NOT_FOUND in the catalogue\'s shape, naming the span routes', async () => {
    const { app, publisher } = makeApp();
    for (const [method, url] of [['GET', '/api/v2/spans?serviceName=x'], ['GET', '/api/v2/traces'], ['POST', '/v1/traces'], ['GET', '/nope']] as const) {
      const res = await app.inject({ method, url, headers: json, ...(method === 'POST' ? { payload: '{}' } : {}) });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      const body = res.json<{ error: string; message: string }>();
      assert.equal(body.error, 'ROUTE_NOT_FOUND');
      assert.equal(body.message, `no route ${method} ${url.split('?')[0] ?? ''}: the receiver takes spans by POST /api/v2/spans or POST /api/v1/spans `
        + '(Zipkin\'s query API is not served: the traces are in X-Ray), and answers GET /health/live, /health/ready and /metrics');
    }
    assert.equal(publisher.spans.length, 0);
  });

  it('a body whose every span is refused: 400 BODY_MALFORMED, each issue with its path and, where it has one, its code', async () => {
    const { app, publisher } = makeApp();
    const noTraceId = { id: '0000000000000001', name: 'get', timestamp: 1_700_000_000_000_000 };
    const v1Span = { traceId: '0000000000000001', id: '0000000000000002', binaryAnnotations: [] };
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify([noTraceId, v1Span]) });
    assert.equal(res.statusCode, 400);
    const body = res.json<{ error: string; issues: { path: string; message: string; code?: string }[] }>();
    assert.equal(body.error, 'BODY_MALFORMED');
    assert.deepEqual(body.issues.map((i) => [i.path, i.code]), [['spans[0].traceId', 'missing'], ['spans[1]', 'wrong_version']]);
    assert.equal(publisher.spans.length, 0);
  });

  it('takes spans at the span routes written with a trailing slash (a collector configured with …/api/v2/spans/ got 404)', async () => {
    const { app, publisher } = makeApp();
    const v2 = await app.inject({ method: 'POST', url: '/api/v2/spans/', headers: json, payload: bookinfo });
    assert.equal(v2.statusCode, 202, v2.body);
    const v1 = await app.inject({ method: 'POST', url: '/api/v1/spans/', headers: json, payload: v1Body });
    assert.equal(v1.statusCode, 202, v1.body);
    assert.equal(publisher.spans.length, bookinfoSpans.length + 1);
  });

  it('takes every kourier body (real Envoy wire form)', async () => {
    const { app, publisher } = makeApp();
    for (const payload of kourierBodies) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload });
      assert.equal(res.statusCode, 202, res.body);
    }
    assert.equal(publisher.published.length, kourierBodies.length);
  });

  it('a full buffer: 503 BUFFER_FULL before the body is decoded (a malformed body gets the same answer)', async () => {
    const { app, publisher, registry } = makeApp();
    publisher.full = true;
    for (const payload of [bookinfo, 'not json at all']) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error, 'BUFFER_FULL');
      assert.equal(res.json().message, 'recording publisher is full (test): retry later', 'the publisher says why');
    }
    assert.equal(publisher.spans.length, 0);
    assert.match(await registry.metrics(), /meshray_receiver_spans_refused_total\{reason="buffer_full"\} 2/);
    assert.match(await registry.metrics(), /meshray_receiver_spans_received_total 0/, 'nothing decoded');
  });

  it('accepts a charset parameter and an empty list', async () => {
    const { app, publisher } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '[]' });
    assert.equal(res.statusCode, 202);
    assert.equal(publisher.spans.length, 0);
  });

  for (const contentType of ['application/x-protobuf', 'application/protobuf']) {
    it(`takes protobuf as ${contentType}`, async () => {
      const { app, publisher } = makeApp();
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': contentType }, payload: toProtoBody(bookinfoSpans) });
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(publisher.spans.map((s) => s.id), bookinfoSpans.map((s) => s['id']));
      assert.equal(publisher.spans[0]?.localEndpoint?.serviceName, 'istio-ingressgateway');
    });
  }

  it('sniffs JSON and protobuf when the Content-Type is missing', async () => {
    const { app, publisher } = makeApp();
    const a = await app.inject({ method: 'POST', url: '/api/v2/spans', payload: Buffer.from(bookinfo) });
    assert.equal(a.statusCode, 202, a.body);
    const b = await app.inject({ method: 'POST', url: '/api/v2/spans', payload: toProtoBody(bookinfoSpans) });
    assert.equal(b.statusCode, 202, b.body);
    assert.equal(publisher.spans.length, 2 * bookinfoSpans.length);
  });

  it('names gzip sent without Content-Encoding, with or without a Content-Type', async () => {
    const { app } = makeApp();
    for (const headers of [{}, json]) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers, payload: gzipSync(bookinfo) });
      assert.equal(res.statusCode, 400);
      assert.match(JSON.stringify(res.json()), /gzip-compressed \(starts with 1f 8b\); send it with Content-Encoding: gzip/);
    }
  });

  it('refuses v1 JSON with 400 naming the v1 route', async () => {
    const { app, publisher } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: v1Body });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'BODY_MALFORMED');
    assert.match(res.json().message, /\/api\/v1\/spans/);
    assert.equal(publisher.published.length, 0);
  });

  it('refuses a v1 span alone in a v2 body (first or later), publishing its v2 neighbours', async () => {
    for (const mixed of [[canonical['span_JSON_V1'], ...bookinfoSpans], [...bookinfoSpans, canonical['span_JSON_V1']]]) {
      const { app, publisher } = makeApp();
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify(mixed) });
      assert.equal(res.statusCode, 202, res.body);
      const refused = (res.json() as { refused: { index: number; message: string; reason: string }[] }).refused;
      assert.deepEqual(refused.map((r) => [r.index, r.reason]), [[mixed.indexOf(canonical['span_JSON_V1']), 'wrong_version']]);
      assert.match(refused[0]?.message ?? '', /Zipkin v1 span .*\/api\/v1\/spans/);
      assert.equal(publisher.spans.length, bookinfoSpans.length);
    }
  });

  it('names a span the publish stage refused alone (too large for a Kafka record) by its body index, after v1 splitting', async () => {
    const { app, publisher, registry } = makeApp();
    // Body index 1 is a v1 span with client and server annotations: two model spans, refused together.
    const shared = v1ClientAndServerSpan('aaaaaaaaaaaaaaaa');
    const body = [canonical['span_JSON_V1'], shared, { ...(canonical['localSpan_JSON_V1'] as Record<string, unknown>), traceId: 'not-hex' }, canonical['localSpan_JSON_V1']];
    publisher.refuseAlone = (span) => span.id === 'aaaaaaaaaaaaaaaa';
    const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload: JSON.stringify(body) });
    assert.equal(res.statusCode, 202, res.body);
    const refused = (res.json() as { refused: { index: number; field: string; reason: string; message: string }[] }).refused;
    assert.deepEqual(refused.map((r) => [r.index, r.field, r.reason]), [[1, '', 'span_too_large'], [2, 'traceId', 'invalid_trace_id']]);
    assert.match(refused[0]?.message ?? '', /^spans\[1\]: is larger, encoded, than the \d+ bytes one Kafka record of the span topic can hold, even with its longest tag and annotation values cut to 1024 characters: its bulk is in its name, endpoints or number of tags and annotations; record less in it$/);
    assert.deepEqual(publisher.spans.map((s) => s.id), ['5b4185666d50f68b', 'dc955a1d4768875d']);
    assert.match(await registry.metrics(), /meshray_receiver_spans_refused_total\{reason="span_too_large"\} 2/, 'counted as model spans, like spans_received');

    // Only its SERVER side too large: the CLIENT side was published, and the answer says so.
    const half = makeApp();
    half.publisher.refuseAlone = (span) => span.id === 'aaaaaaaaaaaaaaaa' && span.kind === 'SERVER';
    const halfRes = await half.app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload: JSON.stringify(body) });
    const halfRefused = (halfRes.json() as { refused: { index: number; reason: string; message: string }[] }).refused;
    assert.deepEqual(halfRefused.map((r) => [r.index, r.reason]), [[1, 'span_too_large'], [2, 'invalid_trace_id']]);
    assert.match(halfRefused[0]?.message ?? '', /^spans\[1\]: is a Zipkin v1 span that became 2 spans \(its sides\); 1 of them is larger, encoded, .* and was refused, the other was published$/);
    assert.deepEqual(half.publisher.spans.filter((s) => s.id === 'aaaaaaaaaaaaaaaa').map((s) => s.kind), ['CLIENT']);
  });

  it('answers 400 BODY_MALFORMED, not 202, when the publish stage refused every span of the body as too large (found by review: nothing was published)', async () => {
    const { app, publisher, registry } = makeApp();
    publisher.refuseAlone = () => true;
    const body = [canonical['span_JSON_V1'], canonical['localSpan_JSON_V1']];
    const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload: JSON.stringify(body) });
    assert.equal(res.statusCode, 400, res.body);
    const answer = res.json() as { error: string; message: string };
    assert.equal(answer.error, 'BODY_MALFORMED');
    assert.match(answer.message, /^every span of the body is refused: spans\[0\] is larger, encoded, than the \d+ bytes one Kafka record/);
    assert.deepEqual(publisher.spans, []);
    assert.match(await registry.metrics(), /meshray_receiver_spans_refused_total\{reason="span_too_large"\} 2/);
  });

  it('publishes the valid spans of a body with an invalid one, and answers 202 naming the refused span', async () => {
    const { app, publisher, registry } = makeApp();
    const spans = structuredClone(bookinfoSpans);
    (spans[2] as Record<string, unknown>)['traceId'] = 'not-hex';
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify(spans) });
    assert.equal(res.statusCode, 202);
    const body = res.json() as { refused: { index: number; field: string; reason: string; message: string }[] };
    assert.deepEqual(body.refused.map(({ index, field, reason }) => ({ index, field, reason })), [{ index: 2, field: 'traceId', reason: 'invalid_trace_id' }]);
    assert.match(body.refused[0]?.message ?? '', /spans\[2\]\.traceId: must be 16 or 32 hex characters/);
    assert.equal(publisher.spans.length, spans.length - 1);
    assert.deepEqual(publisher.spans.map((s) => s.id), spans.filter((_, i) => i !== 2).map((s) => String(s['id'])));
    const metrics = await registry.metrics();
    assert.match(metrics, /meshray_receiver_spans_refused_total\{reason="invalid_trace_id"\} 1/);
    assert.match(metrics, new RegExp(`meshray_receiver_spans_received_total ${spans.length - 1}`));
  });

  it('answers 202 with an empty body when every span is accepted, as Zipkin does', async () => {
    const { app } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
    assert.equal(res.statusCode, 202);
    assert.equal(res.body, '');
  });

  it('answers 400 naming every span when no span of the body is valid', async () => {
    const { app, publisher } = makeApp();
    const spans = structuredClone(bookinfoSpans).slice(0, 2);
    for (const s of spans) delete (s as Record<string, unknown>)['traceId'];
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify(spans) });
    assert.equal(res.statusCode, 400);
    const body = res.json() as { error: string; issues: { path: string; message: string }[] };
    assert.equal(body.error, 'BODY_MALFORMED');
    assert.deepEqual(body.issues.map((i) => i.path), ['spans[0].traceId', 'spans[1].traceId']);
    assert.equal(publisher.spans.length, 0);
  });

  it('counts spans whose epoch-millisecond timestamps were repaired', async () => {
    const { app, publisher, registry } = makeApp();
    const span = { traceId: 'c3a5e7f90b1d2f43', id: '61a7b9c0d2e4f618', kind: 'SERVER', timestamp: 1748779200123, duration: 45 };
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify([span]) });
    assert.equal(res.statusCode, 202);
    assert.equal(publisher.spans[0]?.timestampMicros, 1748779200123000);
    assert.equal(publisher.spans[0]?.durationMicros, 45000);
    assert.match(await registry.metrics(), /meshray_receiver_spans_repaired_total\{reason="timestamp_unit_repaired"\} 1/);
  });

  it('answers 400 for broken JSON, an empty body and an unrecognisable body', async () => {
    const { app } = makeApp();
    for (const [headers, payload] of [[json, '[{"traceId":'], [json, ''], [{}, 'hello']] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers, payload });
      assert.equal(res.statusCode, 400, `${payload}: ${res.body}`);
      assert.equal(res.json().error, 'BODY_MALFORMED');
    }
  });

  it('reads a JSON body under any other Content-Type, as Zipkin\'s collector does (curl -d sends application/x-www-form-urlencoded); answers 415 for Thrift', async () => {
    const { app } = makeApp();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': contentType }, payload: bookinfo });
      assert.equal(res.statusCode, 202, contentType);
    }
    const xml = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/xml' }, payload: '<spans/>' });
    assert.equal(xml.statusCode, 400, 'a body that is not Zipkin is still refused, as malformed');
    assert.equal(xml.json().error, 'BODY_MALFORMED');
    const thrift = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: { 'content-type': 'application/x-thrift' }, payload: Buffer.from([0x0c, 0x00]) });
    assert.equal(thrift.statusCode, 415);
    assert.equal(thrift.json().error, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(thrift.json().message, /Thrift/);
  });
});

describe('POST /api/v1/spans', () => {
  it('takes v1 JSON', async () => {
    const { app, publisher } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload: v1Body });
    assert.equal(res.statusCode, 202, res.body);
    assert.ok(publisher.spans.length >= 1);
    assert.equal(publisher.spans[0]?.traceId, '7180c278b62e8f6a216a2aea45d08fc9');
  });

  it('sniffs v1 JSON without a Content-Type', async () => {
    const { app } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v1/spans', payload: Buffer.from(v1Body) });
    assert.equal(res.statusCode, 202, res.body);
  });

  it('refuses v2 JSON with 400 naming the v2 route', async () => {
    const { app, publisher } = makeApp();
    for (const payload of [v2Body, bookinfo]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /\/api\/v2\/spans/);
    }
    assert.equal(publisher.published.length, 0);
  });

  it('refuses a v2 span alone in a v1 body (first or later), publishing its v1 neighbours', async () => {
    for (const mixed of [[canonical['span_JSON_V2'], canonical['span_JSON_V1']], [canonical['span_JSON_V1'], canonical['span_JSON_V2']]]) {
      const { app, publisher } = makeApp();
      const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: json, payload: JSON.stringify(mixed) });
      assert.equal(res.statusCode, 202, res.body);
      const refused = (res.json() as { refused: { index: number; message: string }[] }).refused;
      assert.deepEqual(refused.map((r) => r.index), [mixed.indexOf(canonical['span_JSON_V2'])]);
      assert.match(refused[0]?.message ?? '', /Zipkin v2 span .*\/api\/v2\/spans/);
      assert.ok(publisher.spans.length >= 1);
      assert.ok(publisher.spans.every((span) => span.localEndpoint?.serviceName !== undefined), 'no published span lost its service');
    }
  });

  it('refuses protobuf with 415 naming the v2 route', async () => {
    const { app } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: { 'content-type': 'application/x-protobuf' }, payload: toProtoBody(bookinfoSpans) });
    assert.equal(res.statusCode, 415);
    assert.match(res.json().message, /\/api\/v2\/spans/);
  });
});

describe('Content-Encoding', () => {
  const encoders = { gzip: gzipSync, 'x-gzip': gzipSync, deflate: deflateSync } as const;
  for (const [encoding, encode] of Object.entries(encoders)) {
    it(`decodes ${encoding} (JSON and protobuf)`, async () => {
      const { app, publisher } = makeApp();
      const a = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': encoding }, payload: encode(bookinfo) });
      assert.equal(a.statusCode, 202, a.body);
      const b = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': encoding }, payload: encode(toProtoBody(bookinfoSpans)) });
      assert.equal(b.statusCode, 202, b.body);
      assert.equal(publisher.spans.length, 2 * bookinfoSpans.length);
    });
  }

  it('decodes raw deflate sent as "deflate" and gzip on the v1 route', async () => {
    const { app } = makeApp();
    const a = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': 'deflate' }, payload: deflateRawSync(bookinfo) });
    assert.equal(a.statusCode, 202, a.body);
    const b = await app.inject({ method: 'POST', url: '/api/v1/spans', headers: { ...json, 'content-encoding': 'gzip' }, payload: gzipSync(v1Body) });
    assert.equal(b.statusCode, 202, b.body);
  });

  it('refuses a gzip bomb (50 MB of zeros) with 413 without inflating it all', async () => {
    const { app, publisher } = makeApp({ maxBodyBytes: 5 * 1024 * 1024 });
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    assert.ok(bomb.length < 100 * 1024);
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': 'gzip' }, payload: bomb });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error, 'BODY_TOO_LARGE');
    assert.equal(publisher.published.length, 0);
  });

  it('refuses a deflate bomb with 413', async () => {
    const { app } = makeApp({ maxBodyBytes: 1024 * 1024 });
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': 'deflate' }, payload: deflateSync(Buffer.alloc(20 * 1024 * 1024)) });
    assert.equal(res.statusCode, 413);
  });

  it('refuses a raw body over the limit with 413 (a compressed body larger than the decoded limit)', async () => {
    const { app } = makeApp({ maxBodyBytes: 1000 });
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error, 'BODY_TOO_LARGE');
    assert.equal(res.json().message, 'request body exceeds the 1000-byte limit (MAX_BODY_BYTES): send fewer spans per request, or raise MAX_BODY_BYTES', 'the number, as the decoded body\'s 413 gives it (newcomer trial)');
    const gz = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': 'gzip' }, payload: gzipSync(bookinfo) });
    assert.equal(gz.statusCode, 413);
  });

  it('answers 415 for an unknown encoding and for a corrupt stream', async () => {
    const { app } = makeApp();
    for (const [encoding, payload] of [['br', bookinfo], ['gzip', 'not gzip at all'], ['deflate', 'nor deflate']] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': encoding }, payload });
      assert.equal(res.statusCode, 415, encoding);
      assert.equal(res.json().error, 'UNSUPPORTED_ENCODING');
    }
  });

  it('names a body compressed twice (still gzip or zlib once its Content-Encoding is undone) instead of advising the Content-Encoding it had', async () => {
    const { app, publisher } = makeApp();
    const cases = [
      ['/api/v2/spans', json, 'gzip', gzipSync(gzipSync(bookinfo))],
      ['/api/v2/spans', { 'content-type': 'application/x-protobuf' }, 'GZIP', gzipSync(gzipSync(bookinfo))],
      ['/api/v1/spans', json, 'deflate', deflateSync(deflateSync(v1Body))],
      ['/api/v2/spans', {}, 'gzip', gzipSync(deflateSync(bookinfo))],
    ] as const;
    for (const [url, headers, encoding, payload] of cases) {
      const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-encoding': encoding }, payload });
      assert.equal(res.statusCode, 400, `${url} ${encoding}: ${res.body}`);
      assert.deepEqual(res.json(), { error: 'BODY_MALFORMED', message: `body is still compressed after its Content-Encoding (${encoding.toLowerCase()}) was undone: it was compressed twice; compress it once` });
    }
    assert.equal(publisher.published.length, 0);
    const once = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: gzipSync(bookinfo) });
    assert.match(once.body, /send it with Content-Encoding: gzip/, 'compressed once, without the header: the header is the advice');
  });

  it('takes identity', async () => {
    const { app } = makeApp();
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { ...json, 'content-encoding': 'identity' }, payload: bookinfo });
    assert.equal(res.statusCode, 202);
  });
});

describe('limits and publishing failures', () => {
  it('answers 413 TOO_MANY_SPANS above MAX_SPANS_PER_REQUEST', async () => {
    const { app, publisher, registry } = makeApp({ maxSpans: 3 });
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error, 'TOO_MANY_SPANS');
    assert.equal(publisher.published.length, 0);
    const metrics = await registry.metrics();
    assert.match(metrics, new RegExp(`meshray_receiver_spans_refused_total\\{reason="too_many_spans"\\} ${bookinfoSpans.length}`));
  });

  for (const code of ['BUFFER_FULL', 'ACK_TIMEOUT', 'PUBLISH_FAILED', 'NOT_READY'] as const) {
    it(`answers 503 with Retry-After on ${code}`, async () => {
      const { app, publisher, registry } = makeApp();
      publisher.failWith = code;
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.json().error, code);
      const metrics = await registry.metrics();
      assert.match(metrics, new RegExp(`spans_refused_total\\{reason="${code.toLowerCase()}"\\} ${bookinfoSpans.length}`));
    });
  }
});

describe('ops routes', () => {
  it('serves /health/live, /health/ready and /metrics', async () => {
    const { app, setReady } = makeApp({ ready: 'Kafka producer not connected' });
    assert.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
    const notReady = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.json().reason, 'Kafka producer not connected');
    setReady(true);
    assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);

    await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
    await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/x-thrift' }, payload: 'x' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /text\/plain/);
    assert.match(metrics.body, new RegExp(`meshray_receiver_spans_received_total ${bookinfoSpans.length}`));
    assert.match(metrics.body, /meshray_receiver_requests_total\{route="\/api\/v2\/spans",status="202"\} 1/);
    assert.match(metrics.body, /meshray_receiver_requests_total\{route="\/api\/v2\/spans",status="415"\} 1/);
  });

  it('does not answer other Zipkin routes', async () => {
    const { app } = makeApp();
    assert.equal((await app.inject({ method: 'GET', url: '/api/v2/services' })).statusCode, 404);
  });
});
