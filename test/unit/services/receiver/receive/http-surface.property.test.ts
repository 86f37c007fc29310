// Fuzzing the receiver's HTTP surface (issue 10 §5): random methods, paths, content types, encodings and
// bodies (valid, truncated and mutated Zipkin v1, v2 and proto) through the real fastify app (inject).
// Never a 5xx but 503, never a crash, never a published span whose ids are not in the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildApp } from '../../../../../services/receiver/app.ts';
import { BearerTokens } from '../../../../../services/receiver/receive/authorize.ts';
import { RecordingPublisher, fixture, makeApp, toProtoBody } from '../helpers.ts';

const v2 = JSON.parse(fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json')) as Record<string, unknown>[];
const canonical = JSON.parse(fixture('zipkin-canonical-v1-v2-encodings.json')) as Record<string, unknown>;
const v1Span = canonical.span_JSON_V1 as Record<string, unknown>;

const SEED_BODIES: readonly { name: string; body: Buffer }[] = [
  { name: 'v2 json', body: Buffer.from(JSON.stringify(v2.slice(0, 6))) },
  { name: 'v1 json', body: Buffer.from(JSON.stringify([v1Span])) },
  { name: 'v2 proto', body: toProtoBody(v2.slice(0, 6)) },
  { name: 'empty list', body: Buffer.from('[]') },
];

const mutate = (body: Buffer, flips: readonly { at: number; byte: number }[]): Buffer => {
  const out = Buffer.from(body);
  for (const f of flips) if (out.length > 0) out[f.at % out.length] = f.byte;
  return out;
};

const bodyArb = fc.oneof(
  fc.constantFrom(...SEED_BODIES.map((s) => s.body)),
  fc.tuple(fc.constantFrom(...SEED_BODIES.map((s) => s.body)), fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))), // truncated
  fc.tuple(fc.constantFrom(...SEED_BODIES.map((s) => s.body)), fc.array(fc.record({ at: fc.nat(), byte: fc.nat(255) }), { minLength: 1, maxLength: 8 }))
    .map(([b, flips]) => mutate(b, flips)), // mutated bytes
  fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)), // noise
  fc.json().map((j) => Buffer.from(j)), // any JSON
);

const methodArb = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');
const pathArb = fc.oneof(
  fc.constantFrom('/api/v2/spans', '/api/v1/spans', '/api/v2/spans/', '/api/v2/spans?x=1', '/api/v3/spans', '/', '/health/ready', '/metrics', '/api/v2/spans/../v1/spans'),
  fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
);
const contentTypeArb = fc.option(fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-protobuf', 'application/protobuf',
    'application/x-thrift', 'text/plain', 'application/json;charset=latin1', 'multipart/form-data; boundary=x', ''),
  fc.string({ maxLength: 40 }),
), { nil: undefined });
const encodingArb = fc.constantFrom('none', 'gzip', 'deflate', 'br', 'identity', 'gzip-header-only', 'x-garbage', 'gzip, gzip');

function encode(body: Buffer, encoding: string): { payload: Buffer; header: string | undefined } {
  switch (encoding) {
    case 'none': return { payload: body, header: undefined };
    case 'gzip': return { payload: gzipSync(body), header: 'gzip' };
    case 'deflate': return { payload: deflateSync(body), header: 'deflate' };
    case 'br': return { payload: brotliCompressSync(body), header: 'br' };
    case 'gzip-header-only': return { payload: body, header: 'gzip' }; // says gzip, is not
    case 'gzip, gzip': return { payload: gzipSync(gzipSync(body)), header: 'gzip, gzip' };
    default: return { payload: body, header: encoding };
  }
}

/** What the receiver could read from the body: the decompressed bytes when the declared encoding holds. */
function plainOf(payload: Buffer, encoding: string): Buffer {
  try {
    if (encoding === 'gzip') return gunzipSync(payload);
    if (encoding === 'gzip, gzip') return gunzipSync(gunzipSync(payload));
    if (encoding === 'deflate') return inflateSync(payload);
  } catch { /* not decodable: the raw bytes are all there is */ }
  return payload;
}

/** True when the id (hex) occurs in the body, as text (JSON, any case, leading zeros dropped) or as bytes (proto). */
function inBody(id: string, plain: Buffer): boolean {
  const text = plain.toString('latin1').toLowerCase();
  const hex = plain.toString('hex');
  const trimmed = id.replace(/^0+/, '');
  return trimmed === '' || text.includes(trimmed) || hex.includes(id.length % 2 === 0 ? id : `0${id}`) || hex.includes(trimmed);
}

test('the receiver never answers 5xx but 503, never crashes, never publishes a span that was not in the body', async () => {
  const { app, publisher } = makeApp({ maxBodyBytes: 64 * 1024, maxSpans: 50 });
  await app.ready();
  try {
    await fc.assert(fc.asyncProperty(methodArb, pathArb, contentTypeArb, encodingArb, bodyArb, async (method, url, contentType, encoding, body) => {
      publisher.published.length = 0;
      const { payload, header } = encode(body, encoding);
      const headers: Record<string, string> = {};
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (header !== undefined) headers['content-encoding'] = header;
      const res = await app.inject({ method: method as 'POST', url, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { payload }) });
      assert.ok(res.statusCode < 500 || res.statusCode === 503, `${method} ${url} (${contentType}, ${encoding}): ${res.statusCode} ${res.body.slice(0, 200)}`);
      const plain = plainOf(payload, encoding);
      for (const span of publisher.spans) {
        assert.ok(inBody(span.traceId, plain), `published trace id ${span.traceId} is in the body`);
        assert.ok(inBody(span.id, plain), `published span id ${span.id} is in the body`);
      }
      if (res.statusCode !== 202) assert.equal(publisher.spans.length, 0, 'nothing is published for a refused request');
    }), { numRuns: 100, seed: 105 });
    // The property is not vacuous: a seed body is accepted and published, and its ids pass the same check.
    publisher.published.length = 0;
    const accepted = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json' }, payload: SEED_BODIES[0]!.body });
    assert.equal(accepted.statusCode, 202);
    assert.equal(publisher.spans.length, 6);
    assert.ok(publisher.spans.every((s) => inBody(s.id, SEED_BODIES[0]!.body)));
    assert.equal(inBody('00000000000000000000000000abcdef', SEED_BODIES[0]!.body), false, 'an id not in the body is told apart');
  } finally {
    await app.close();
  }
});

test('with RECEIVER_AUTH_TOKENS on, only `Bearer <a listed token>` reaches the span routes; nothing else is published', async () => {
  const tokens = new BearerTokens(['tok-A1', 'tok-B2']);
  const publisher = new RecordingPublisher();
  const app = buildApp({
    config: { MAX_BODY_BYTES: 64 * 1024, MAX_SPANS_PER_REQUEST: 50 }, publisher, logger: silentLogger(), registry: createRegistry(),
    isReady: () => true, tokens: () => tokens,
  });
  await app.ready();
  const authorizationArb = fc.option(fc.oneof(
    fc.constantFrom('Bearer tok-A1', 'bearer tok-B2', 'Bearer tok-A', 'Bearer tok-A1x', 'Basic tok-A1', 'tok-A1', 'Bearer', 'Bearer  tok-B2'),
    fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
    fc.string({ maxLength: 30 }),
  ), { nil: undefined });
  try {
    await fc.assert(fc.asyncProperty(authorizationArb, fc.constantFrom('/api/v2/spans', '/api/v1/spans'), async (authorization, url) => {
      publisher.published.length = 0;
      const res = await app.inject({
        method: 'POST', url, payload: url === '/api/v2/spans' ? SEED_BODIES[0]!.body : SEED_BODIES[1]!.body,
        headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      });
      const valid = authorization !== undefined && /^bearer +tok-(A1|B2) *$/i.test(authorization);
      assert.equal(res.statusCode, valid ? 202 : 401, String(authorization));
      if (!valid) assert.equal(publisher.spans.length, 0);
    }), { numRuns: 60, seed: 106 });
  } finally {
    await app.close();
  }
});
