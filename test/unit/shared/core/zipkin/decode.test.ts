import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeSpanBatch, decodeSpans, detectFormat, type ZipkinFormat } from '../../../../../shared/core/zipkin/index.ts';
import { decodeNdjsonV2Batch } from '../../../../../shared/core/zipkin/decode.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { v1ClientAndServerSpan } from '../../../../support/spans.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../../fixtures/zipkin/${name}`, import.meta.url), 'utf8');

function decodeDetected(text: string): Span[] {
  const body = new TextEncoder().encode(text);
  const format = detectFormat(body, 'application/json');
  assert.ok(format !== undefined);
  const result = decodeSpans(body, format);
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

describe('decodeSpans', () => {
  it('decodes the synthesized Istio 1.7.4 Bookinfo trace', () => {
    const spans = decodeDetected(fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json'));
    const raw = JSON.parse(fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json')) as { id: string }[];
    assert.equal(spans.length, raw.length);
    assert.deepEqual(spans.map((s) => s.id), raw.map((s) => s.id));
    for (const span of spans) {
      assert.equal(span.traceId, 'eacd2e2b8a2daf31f6604fffcf8ffe2a');
      assert.ok(span.kind === 'CLIENT' || span.kind === 'SERVER');
      assert.equal(span.localEndpoint?.port, undefined, 'port 0 is absent');
      assert.equal(typeof span.tags['http.status_code'], 'string');
    }
  });

  it("decodes each of Kourier's three raw Envoy 1.24 bodies", () => {
    const bodies = JSON.parse(fixture('kourier-envoy-1.24-v2-posts.json')) as unknown[];
    assert.equal(bodies.length, 3);
    const first = decodeDetected(JSON.stringify(bodies[0]));
    assert.deepEqual(first, [
      {
        traceId: 'dfdf78be9f9802f3',
        id: 'dfdf78be9f9802f3',
        kind: 'SERVER',
        name: 'tracing-bdectujw.example.com',
        timestampMicros: 1689241786518590,
        durationMicros: 7646,
        localEndpoint: { serviceName: 'kourier-knative', ipv4: '10.244.1.3' },
        annotations: [{ timestampMicros: 1689241786526291, value: 'ss' }],
        tags: {
          user_agent: 'knative.dev/TestTracing/tracing-cdnyafeq',
          'guid:x-request-id': '4d8666a7-fe4d-99dc-90fe-c10c404392ac',
          upstream_cluster: 'serving-tests/tracing-bdectujw',
          'upstream_cluster.name': 'serving-tests/tracing-bdectujw',
          'http.method': 'GET',
          response_size: '14872',
          'http.status_code': '200',
          'http.url': 'http://tracing-bdectujw.example.com/',
          component: 'proxy',
          node_id: '3scale-kourier-gateway',
          response_flags: '-',
          request_size: '0',
          downstream_cluster: '-',
          'http.protocol': 'HTTP/1.1',
          'peer.address': '10.244.1.1',
        },
      },
    ]);
    for (const body of bodies.slice(1)) {
      const spans = decodeDetected(JSON.stringify(body));
      assert.equal(spans.length, 1);
      assert.equal(spans[0]?.kind, 'SERVER');
      assert.equal('parentId' in (spans[0] ?? {}), false, 'a root span whose parentId would equal its id');
    }
  });

  it("decodes the real Envoy root span with the accidental shared flag, keeping it", () => {
    const [span] = decodeDetected(fixture('envoy-root-span-shared.zipkin-lens.json'));
    assert.equal(span?.shared, true);
    assert.equal(span?.kind, 'SERVER');
    assert.deepEqual(span?.localEndpoint, { ipv4: '169.254.65.45' });
    assert.equal(span?.name, 'localhost:10000');
  });

  it("decodes Zipkin's shared-span clock-skew trace", () => {
    const spans = decodeDetected(fixture('shared-span-clock-skew.zipkin-lens.json'));
    assert.deepEqual(
      spans.map((s) => [s.id, s.kind, s.shared]),
      [
        ['43210ae0c10d1234', undefined, undefined],
        ['74280ae0c10d8062', 'SERVER', true],
        ['bf396325699c84bf', 'SERVER', undefined],
        ['74280ae0c10d8062', 'CLIENT', undefined],
      ],
    );
  });

  it("decodes Zipkin's canonical client span (a single object, wrapped in a list)", () => {
    const [span] = decodeDetected(`[${fixture('zipkin2-canonical-client-span.json')}]`);
    assert.equal(span?.traceId, '4d1e00c0db9010db86154a4ba6e91385');
    assert.deepEqual(span?.localEndpoint, { serviceName: 'frontend', ipv6: '2001:db8::c001' });
  });

  it('decodes every body of the canonical v1/v2 encodings, each by its detected format', () => {
    const encodings = JSON.parse(fixture('zipkin-canonical-v1-v2-encodings.json')) as Record<string, unknown>;
    for (const [name, span] of Object.entries(encodings)) {
      const spans = decodeDetected(JSON.stringify([span]));
      assert.equal(spans.length, 1, name);
    }
  });

  it('dispatches on the format', () => {
    const v1 = '[{"traceId":"a","id":"b","annotations":[{"timestamp":1,"value":"cs","endpoint":{"serviceName":"x"}}]}]';
    assert.equal((decodeSpans(v1, 'json-v1') as { value: Span[] }).value[0]?.kind, 'CLIENT');
    const asV2 = decodeSpans(v1, 'json-v2');
    assert.equal(asV2.ok, false);
    assert.match(asV2.ok ? '' : asV2.issues[0]?.message ?? '', /is a Zipkin v1 span/);
    assert.deepEqual(decodeSpans(new Uint8Array(0), 'proto-v2'), { ok: true, value: [] });
  });

  it('refuses an unknown format instead of throwing', () => {
    assert.deepEqual(decodeSpans('[]', 'thrift' as ZipkinFormat), { ok: false, issues: [{ path: '', message: 'unknown Zipkin format "thrift"' }] });
  });
});

test('decodeNdjsonV2Batch reads a dead-letter line\'s span, and refuses one whose record held no span, naming its reason', () => {
  const span = { traceId: 'aaaaaaaaaaaaaaa1', id: 'bbbbbbbbbbbbbbb1', name: 'get', timestamp: 1_764_604_800_000_000, duration: 10 };
  const letter = (s: unknown): string => JSON.stringify({ time: '2026-12-01T16:00:00.000Z', reason: 'avro', errorCode: 'RECORD_UNDECODABLE', attempts: 1, source: { topic: 't', partition: 0, offset: '1' }, message: 'm', span: s });
  const r = decodeNdjsonV2Batch(`${letter(span)}\n${letter(null)}\n`);
  assert.ok(r.ok);
  assert.deepEqual(r.value.spans.map((s) => s.id), ['bbbbbbbbbbbbbbb1']);
  assert.equal(r.value.refused.length, 1);
  assert.equal(r.value.refused[0]?.index, 1);
  assert.match(r.value.refused[0]?.issues[0]?.message ?? '', /line 2 is a dead letter \(avro\) whose record held no readable span/);
});

describe('SpanBatch.bodyIndexes: the body index of each accepted span, for a later stage that refuses one', () => {
  const canonicalFixture = JSON.parse(readFileSync(new URL('../../../../fixtures/zipkin/zipkin-canonical-v1-v2-encodings.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
  const bad = { ...canonicalFixture['localSpan_JSON_V2'], traceId: 'not-hex' };
  const CLIENT_AND_SERVER_V1 = v1ClientAndServerSpan('5b4185666d50f68b');

  it('json-v2 and ndjson: one index per span, refused spans skipped', () => {
    const spans = [canonicalFixture['span_JSON_V2'], bad, canonicalFixture['localSpan_JSON_V2']];
    const v2 = decodeSpanBatch(JSON.stringify(spans), 'json-v2');
    assert.ok(v2.ok);
    assert.deepEqual([v2.value.bodyIndexes, v2.value.refused.map((r) => r.index)], [[0, 2], [1]]);
    const ndjson = decodeNdjsonV2Batch(spans.map((s) => JSON.stringify(s)).join('\n\n'));
    assert.ok(ndjson.ok);
    assert.deepEqual([ndjson.value.bodyIndexes, ndjson.value.refused.map((r) => r.index)], [[0, 4], [2]], 'numbered by line, blank lines included');
  });

  it('json-v1: a span with client and server annotations gives two model spans, both with its index', () => {
    const spans = [canonicalFixture['localSpan_JSON_V1'], { ...canonicalFixture['localSpan_JSON_V1'], traceId: 'not-hex' }, CLIENT_AND_SERVER_V1];
    const v1 = decodeSpanBatch(JSON.stringify(spans), 'json-v1');
    assert.ok(v1.ok);
    assert.equal(v1.value.spans.length, 3);
    assert.deepEqual([v1.value.bodyIndexes, v1.value.refused.map((r) => r.index)], [[0, 2, 2], [1]]);
  });
});

test('a duration beyond what the Avro record carries is refused even beside a millisecond timestamp (a property run found 2^53 − 1 passed on as absent)', () => {
  for (const duration of [Number.MAX_SAFE_INTEGER, 2 ** 60]) {
    const r = decodeSpans(JSON.stringify([{ traceId: '5', id: '8', timestamp: 946_684_800_000, duration }]), 'json-v2');
    assert.ok(!r.ok, String(duration));
    assert.match(r.issues[0]?.message ?? '', /must be at most 9007199254740990 microseconds/);
  }
  // a duration that fits as sent but not once scaled with its repaired timestamp is implausible: absent
  const scaled = decodeSpans(JSON.stringify([{ traceId: '5', id: '8', timestamp: 946_684_800_000, duration: 9_007_199_254_741 }]), 'json-v2');
  assert.ok(scaled.ok);
  assert.equal(scaled.value[0]?.durationMicros, undefined);
});
