import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeSpanJsonV2, encodeSpansJsonV2 } from '../../../../../services/simulator/encode/encode-json-v2.ts';
import { decodeJsonV1, decodeJsonV2, decodeSpans, detectFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../../fixtures/zipkin/${name}`, import.meta.url));

function decodedOrThrow(body: string | Buffer): Span[] {
  const r = decodeJsonV2(body);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
  return r.value;
}

test('decode → encode → decode is the identity on the Istio 1.7.4 Bookinfo fixture', () => {
  const spans = decodedOrThrow(fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json'));
  const body = encodeSpansJsonV2(spans);
  assert.equal(detectFormat(Buffer.from(body)), 'json-v2');
  assert.deepEqual(decodedOrThrow(body), spans);
});

test('round-trips the real Envoy (kourier) bodies: annotations, upstream_cluster.name, 64-bit ids', () => {
  const posts = JSON.parse(fixture('kourier-envoy-1.24-v2-posts.json').toString('utf8')) as unknown[];
  for (const post of posts) {
    const spans = decodedOrThrow(JSON.stringify(post));
    assert.deepEqual(decodedOrThrow(encodeSpansJsonV2(spans)), spans);
  }
});

test('every field of the model is written: remoteEndpoint, ipv6, port, debug, shared; strings are escaped', () => {
  const span: Span = {
    traceId: '0123456789abcdef0123456789abcdef', id: '1111111111111111', parentId: '2222222222222222', kind: 'SERVER',
    name: 'get /say "hi"\n', timestampMicros: 1_700_000_000_000_001, durationMicros: 12,
    localEndpoint: { serviceName: 'a.default', ipv4: '10.0.0.1', port: 8080 },
    remoteEndpoint: { serviceName: 'b', ipv6: '2001:db8::1' },
    annotations: [{ timestampMicros: 1_700_000_000_000_005, value: 'ss' }],
    tags: { 'http.status_code': '200', 'weird "key"': 'line\nbreak ✓' },
    debug: true, shared: true,
  };
  const line = encodeSpanJsonV2(span);
  assert.ok(!line.includes('\n'), 'one ndjson line');
  assert.deepEqual(decodedOrThrow(`[${line}]`), [span]);
});

test('an empty list encodes as []; v1-decoded spans re-encode as valid v2', () => {
  assert.equal(encodeSpansJsonV2([]), '[]');
  const v1 = decodeJsonV1(JSON.stringify([{
    traceId: 'abcdef0123456789', id: 'abcdef0123456789', name: 'get',
    annotations: [{ timestamp: 1_700_000_000_000_000, value: 'sr', endpoint: { serviceName: 'svc', ipv4: '10.1.2.3' } },
      { timestamp: 1_700_000_000_000_900, value: 'ss', endpoint: { serviceName: 'svc', ipv4: '10.1.2.3' } }],
    binaryAnnotations: [{ key: 'http.status_code', value: '200', endpoint: { serviceName: 'svc' } }],
  }]));
  assert.ok(v1.ok);
  const again = decodeSpans(encodeSpansJsonV2(v1.value), 'json-v2');
  assert.ok(again.ok);
  assert.deepEqual(again.value, v1.value);
});
