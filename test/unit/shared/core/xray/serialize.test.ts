import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJsonOf, zipkinMetadataJsonOf } from '../../../../../shared/core/xray/serialize.ts';
import { buildHttp } from '../../../../../shared/core/xray/http.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

test('metadata.zipkin: the source span, fields in a fixed order, absent ones omitted', () => {
  const full: Span = {
    traceId: 'a'.repeat(32),
    id: 'b'.repeat(16),
    parentId: 'c'.repeat(16),
    kind: 'SERVER',
    name: 'get "/x"',
    localEndpoint: { serviceName: 'svc', ipv4: '10.0.0.1', ipv6: '::1', port: 8080 },
    remoteEndpoint: { ipv4: '10.0.0.2' },
    shared: true,
    annotations: [{ timestampMicros: 5, value: 'ss\n' }],
    tags: {},
  };
  assert.equal(
    zipkinMetadataJsonOf(full),
    JSON.stringify({
      traceId: full.traceId,
      id: full.id,
      parentId: full.parentId,
      kind: 'SERVER',
      name: 'get "/x"',
      localEndpoint: { serviceName: 'svc', ipv4: '10.0.0.1', ipv6: '::1', port: 8080 },
      remoteEndpoint: { ipv4: '10.0.0.2' },
      shared: true,
      annotations: [{ timestampMicros: 5, value: 'ss\n' }],
    }),
  );
  assert.equal(zipkinMetadataJsonOf({ traceId: full.traceId, id: full.id, annotations: [], tags: {} }), JSON.stringify({ traceId: full.traceId, id: full.id }));
});

test('http block: what JSON.stringify gives for the object buildHttp builds', () => {
  const tags = { 'http.method': 'GET', 'http.url': 'http://a/"b"', user_agent: 'curl', 'peer.address': '10.0.0.1:80', 'http.status_code': '503', response_size: '12' };
  for (const clientIp of [true, false]) {
    const http = buildHttp(tags, clientIp);
    assert.ok(http !== undefined);
    assert.equal(httpJsonOf(http), JSON.stringify(http));
  }
  const onlyStatus = buildHttp({ 'http.status_code': '200' }, false);
  assert.ok(onlyStatus !== undefined);
  assert.equal(httpJsonOf(onlyStatus), '{"response":{"status":200}}');
});
