import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeJsonV1 } from '../../../../../shared/core/zipkin/decode-json-v1.ts';
import { decodeJsonV2 } from '../../../../../shared/core/zipkin/decode-json-v2.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import type { Issue, Result } from '../../../../../shared/core/result/result.ts';

const encodings = JSON.parse(
  readFileSync(new URL('../../../../fixtures/zipkin/zipkin-canonical-v1-v2-encodings.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const TRACE = '7180c278b62e8f6a216a2aea45d08fc9';
const ID = '5b4185666d50f68b';
const PARENT = '6b221d5bc9e6496c';
const FRONTEND = { serviceName: 'frontend', ipv4: '127.0.0.1' };
const BACKEND = { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 };

function v1(overrides: Record<string, unknown>): Record<string, unknown> {
  return { traceId: TRACE, id: ID, parentId: PARENT, name: 'get', ...overrides };
}

function decodeV1(...spans: unknown[]): Span[] {
  const result = decodeJsonV1(JSON.stringify(spans));
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

function issuesOf(result: Result<unknown>): readonly Issue[] {
  if (result.ok) assert.fail('expected the body to be refused');
  return result.issues;
}

const common = { traceId: TRACE, parentId: PARENT, id: ID, name: 'get' } as const;

describe('decodeJsonV1', () => {
  it('keeps a binary annotation named __proto__ as an ordinary tag (found by review: it set the prototype and was lost)', () => {
    const r = decodeJsonV1(Buffer.from(JSON.stringify([{ traceId: '463ac35c9f6413ad', id: '463ac35c9f6413ad', timestamp: 1748779500000000, binaryAnnotations: [{ key: '__proto__', value: 'kept' }, { key: 'a', value: 'b' }] }])));
    assert.ok(r.ok);
    const tags = r.value[0]?.tags ?? {};
    assert.ok(Object.hasOwn(tags, '__proto__'));
    assert.deepEqual(Object.entries(tags), [['__proto__', 'kept'], ['a', 'b']]);
    assert.equal(Object.getPrototypeOf(tags), Object.prototype);
  });

  describe("matches the v2 side of Zipkin's canonical encoder pairs", () => {
    for (const key of Object.keys(encodings).filter((k) => k.endsWith('_JSON_V1'))) {
      const pair = key.replace(/_JSON_V1$/, '_JSON_V2');
      it(`${key} ≡ ${pair}`, () => {
        assert.ok(pair in encodings, `fixture has ${pair}`);
        const fromV1 = decodeJsonV1(JSON.stringify([encodings[key]]));
        const fromV2 = decodeJsonV2(JSON.stringify([encodings[pair]]));
        assert.ok(fromV2.ok);
        assert.deepEqual(fromV1, fromV2);
      });
    }
  });

  it('turns a v1 span with client and server annotations into a CLIENT span and a shared SERVER span', () => {
    const spans = decodeV1(
      v1({
        timestamp: 100,
        duration: 50,
        annotations: [
          { timestamp: 100, value: 'cs', endpoint: FRONTEND },
          { timestamp: 110, value: 'sr', endpoint: BACKEND },
          { timestamp: 120, value: 'cache.miss', endpoint: BACKEND },
          { timestamp: 140, value: 'ss', endpoint: BACKEND },
          { timestamp: 150, value: 'cr', endpoint: FRONTEND },
        ],
        binaryAnnotations: [
          { key: 'http.path', value: '/api', endpoint: FRONTEND },
          { key: 'sa', value: true, endpoint: BACKEND },
          { key: 'ca', value: true, endpoint: { serviceName: 'frontend', ipv4: '10.0.0.9', port: 52000 } },
        ],
      }),
    );
    assert.deepEqual(spans, [
      {
        ...common,
        kind: 'CLIENT',
        timestampMicros: 100,
        durationMicros: 50,
        localEndpoint: FRONTEND,
        remoteEndpoint: BACKEND,
        annotations: [],
        tags: { 'http.path': '/api' },
      },
      {
        ...common,
        kind: 'SERVER',
        timestampMicros: 110,
        durationMicros: 30,
        localEndpoint: BACKEND,
        remoteEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.9', port: 52000 },
        annotations: [{ timestampMicros: 120, value: 'cache.miss' }],
        tags: {},
        shared: true,
      },
    ]);
  });

  it('forks a server span for a loopback call (client and server in the same service)', () => {
    const spans = decodeV1(
      v1({
        annotations: [
          { timestamp: 100, value: 'cs', endpoint: FRONTEND },
          { timestamp: 110, value: 'sr', endpoint: FRONTEND },
          { timestamp: 140, value: 'ss', endpoint: FRONTEND },
          { timestamp: 150, value: 'cr', endpoint: FRONTEND },
        ],
      }),
    );
    assert.deepEqual(
      spans.map((s) => [s.kind, s.timestampMicros, s.durationMicros, s.shared, s.localEndpoint?.serviceName]),
      [
        ['CLIENT', 100, 50, undefined, 'frontend'],
        ['SERVER', 110, 30, true, 'frontend'],
      ],
    );
  });

  it('takes timestamp and duration from cs/cr when the v1 span has none', () => {
    const [span] = decodeV1(
      v1({
        annotations: [
          { timestamp: 1000, value: 'cs', endpoint: FRONTEND },
          { timestamp: 1700, value: 'cr', endpoint: FRONTEND },
        ],
      }),
    );
    assert.deepEqual(span, { ...common, kind: 'CLIENT', timestampMicros: 1000, durationMicros: 700, localEndpoint: FRONTEND, annotations: [], tags: {} });
  });

  it('keeps a server-only span with its own timestamp unshared', () => {
    const [span] = decodeV1(
      v1({
        timestamp: 1000,
        duration: 700,
        annotations: [
          { timestamp: 1000, value: 'sr', endpoint: BACKEND },
          { timestamp: 1700, value: 'ss', endpoint: BACKEND },
        ],
      }),
    );
    assert.equal(span?.kind, 'SERVER');
    assert.equal(span?.shared, undefined);
    assert.equal(span?.timestampMicros, 1000);
    assert.equal(span?.durationMicros, 700);
  });

  it('rebuilds a missing cs from the span timestamp when cr marks its end', () => {
    const [span] = decodeV1(v1({ timestamp: 1000, duration: 700, annotations: [{ timestamp: 1700, value: 'cr', endpoint: FRONTEND }] }));
    assert.deepEqual(span, { ...common, kind: 'CLIENT', timestampMicros: 1000, durationMicros: 700, localEndpoint: FRONTEND, annotations: [], tags: {} });
  });

  it('keeps an incomplete client span: timestamp from cs, no duration', () => {
    const [span] = decodeV1(v1({ annotations: [{ timestamp: 1000, value: 'cs', endpoint: FRONTEND }] }));
    assert.deepEqual(span, { ...common, kind: 'CLIENT', timestampMicros: 1000, localEndpoint: FRONTEND, annotations: [], tags: {} });
  });

  it('keeps a lone cr as an annotation of the CLIENT span', () => {
    const [span] = decodeV1(v1({ annotations: [{ timestamp: 1700, value: 'cr', endpoint: FRONTEND }] }));
    assert.deepEqual(span, { ...common, kind: 'CLIENT', localEndpoint: FRONTEND, annotations: [{ timestampMicros: 1700, value: 'cr' }], tags: {} });
  });

  it('keeps core annotations without an endpoint as ordinary annotations', () => {
    const [span] = decodeV1(v1({ annotations: [{ timestamp: 5, value: 'cs' }, { timestamp: 6, value: 'custom' }] }));
    assert.deepEqual(span, { ...common, annotations: [{ timestampMicros: 5, value: 'cs' }, { timestampMicros: 6, value: 'custom' }], tags: {} });
  });

  it('converts messaging annotations: ms → PRODUCER, mr → CONSUMER', () => {
    const [producer] = decodeV1(v1({ annotations: [{ timestamp: 10, value: 'ms', endpoint: FRONTEND }] }));
    assert.deepEqual(producer, { ...common, kind: 'PRODUCER', timestampMicros: 10, localEndpoint: FRONTEND, annotations: [], tags: {} });
    const [consumer] = decodeV1(
      v1({
        annotations: [
          { timestamp: 10, value: 'wr', endpoint: BACKEND },
          { timestamp: 15, value: 'mr', endpoint: BACKEND },
        ],
        binaryAnnotations: [{ key: 'ma', value: true, endpoint: { serviceName: 'kafka' } }],
      }),
    );
    assert.deepEqual(consumer, {
      ...common,
      kind: 'CONSUMER',
      timestampMicros: 10,
      durationMicros: 5,
      localEndpoint: BACKEND,
      remoteEndpoint: { serviceName: 'kafka' },
      annotations: [],
      tags: {},
    });
  });

  describe('binary annotations', () => {
    it('stringifies boolean and number values and ignores null ones', () => {
      const [span] = decodeV1(
        v1({
          binaryAnnotations: [
            { key: 'error', value: true, type: 'BOOL', endpoint: FRONTEND },
            { key: 'retried', value: false, type: 'BOOL' },
            { key: 'http.status_code', value: 503, type: 'I32' },
            { key: 'ratio', value: 0.25, type: 'DOUBLE' },
            { key: 'nothing', value: null },
          ],
        }),
      );
      assert.deepEqual(span?.tags, { error: 'true', retried: 'false', 'http.status_code': '503', ratio: '0.25' });
      assert.deepEqual(span?.localEndpoint, FRONTEND);
    });

    it('drops the empty "lc" marker but uses its endpoint as the local endpoint', () => {
      const [span] = decodeV1(v1({ timestamp: 1, duration: 2, binaryAnnotations: [{ key: 'lc', value: '', endpoint: FRONTEND }] }));
      assert.deepEqual(span, { ...common, timestampMicros: 1, durationMicros: 2, localEndpoint: FRONTEND, annotations: [], tags: {} });
      const [named] = decodeV1(v1({ binaryAnnotations: [{ key: 'lc', value: 'cache', endpoint: FRONTEND }] }));
      assert.deepEqual(named?.tags, { lc: 'cache' });
    });

    it('makes "sa" alone a remote endpoint without kind, and "ca" alone a SERVER span', () => {
      const [withSa] = decodeV1(v1({ binaryAnnotations: [{ key: 'sa', value: true, endpoint: BACKEND }] }));
      assert.deepEqual(withSa, { ...common, remoteEndpoint: BACKEND, annotations: [], tags: {} });
      const [withCa] = decodeV1(v1({ binaryAnnotations: [{ key: 'ca', value: true, endpoint: FRONTEND }] }));
      assert.deepEqual(withCa, { ...common, kind: 'SERVER', remoteEndpoint: FRONTEND, annotations: [], tags: {} });
    });

    it("drops the serviceName of a Finagle \"ca\" that names the server's own service", () => {
      const [span] = decodeV1(
        v1({
          annotations: [
            { timestamp: 10, value: 'sr', endpoint: BACKEND },
            { timestamp: 20, value: 'ss', endpoint: BACKEND },
          ],
          binaryAnnotations: [{ key: 'ca', value: true, endpoint: { serviceName: 'backend', ipv4: '10.0.0.7', port: 41000 } }],
        }),
      );
      assert.deepEqual(span?.remoteEndpoint, { ipv4: '10.0.0.7', port: 41000 });
      assert.equal(span?.shared, true);
    });
  });

  it('normalises ids and names like v2: lowercase, padding, parentId == id dropped', () => {
    const [span] = decodeV1({ traceId: 'ABC', id: 'ABC', parentId: '0ABC', name: 'GET', timestamp: 5 });
    assert.deepEqual(span, { traceId: '0000000000000abc', id: '0000000000000abc', name: 'get', timestampMicros: 5, annotations: [], tags: {} });
  });

  it('decodes an empty list', () => {
    assert.deepEqual(decodeJsonV1('[]'), { ok: true, value: [] });
  });

  describe('refusing malformed v1 bodies as a whole', () => {
    const bad: readonly [string, unknown, readonly Issue[]][] = [
      ['a missing traceId', [{ id: ID }], [{ path: 'spans[0].traceId', message: 'is required', code: 'missing' }]],
      ['a bad id', [{ traceId: TRACE, id: 'nope' }], [{ path: 'spans[0].id', message: 'must be 16 hex characters (shorter ids are left-padded with zeros), got "nope"' }]],
      ['an annotation without timestamp', [v1({ annotations: [{ value: 'cs', endpoint: FRONTEND }] })], [
        { path: 'spans[0].annotations[0].timestamp', message: 'is required in a v1 annotation', code: 'missing' },
      ]],
      ['an annotation with a bad timestamp', [v1({ annotations: [{ value: 'cs', timestamp: 'x' }] })], [
        { path: 'spans[0].annotations[0].timestamp', message: 'must be a number of microseconds, got "x"' },
      ]],
      ['annotations that are not a list', [v1({ annotations: 'cs' })], [{ path: 'spans[0].annotations', message: 'must be an array, got "cs"' }]],
      ['a binary annotation without key', [v1({ binaryAnnotations: [{ value: 'x' }] })], [
        { path: 'spans[0].binaryAnnotations[0].key', message: 'must be a non-empty string, got nothing' },
      ]],
      ['a binary annotation with an object value', [v1({ binaryAnnotations: [{ key: 'k', value: { a: 1 } }] })], [
        { path: 'spans[0].binaryAnnotations[0].value', message: 'must be a string, number or boolean, got an object' },
      ]],
      ['a bad endpoint port', [v1({ annotations: [{ timestamp: 1, value: 'cs', endpoint: { serviceName: 'a', port: 1e6 } }] })], [
        { path: 'spans[0].annotations[0].endpoint.port', message: 'must be an integer up to 65535, got 1000000' },
      ]],
      ['a duration that is not a number', [v1({ duration: [3] })], [{ path: 'spans[0].duration', message: 'must be a number of microseconds, got an array' }]],
      ['a span that is not an object', [v1({}), 'span'], [{ path: 'spans[1]', message: 'must be a span object, got "span"' }]],
      ['an object body', { spans: [] }, [{ path: 'spans', message: 'must be a JSON array of spans, got an object' }]],
      ['a v2 span (its service name would be lost)', [v1({ kind: 'SERVER', localEndpoint: FRONTEND, tags: { 'http.method': 'GET' } })], [{
        path: 'spans[0]',
        code: 'wrong_version',
        message: 'is a Zipkin v2 span (it has kind, localEndpoint, tags), sent as v1 JSON: POST it to /api/v2/spans; as v1 its service name would be lost',
      }]],
      ['a span with only a v2 remoteEndpoint or shared flag', [v1({ remoteEndpoint: BACKEND }), v1({ shared: true })], [
        { path: 'spans[0]', code: 'wrong_version', message: 'is a Zipkin v2 span (it has remoteEndpoint), sent as v1 JSON: POST it to /api/v2/spans; as v1 its service name would be lost' },
        { path: 'spans[1]', code: 'wrong_version', message: 'is a Zipkin v2 span (it has shared), sent as v1 JSON: POST it to /api/v2/spans; as v1 its service name would be lost' },
      ]],
    ];
    for (const [title, body, issues] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(issuesOf(decodeJsonV1(JSON.stringify(body))), issues);
      });
    }

    it('refuses text that is not JSON', () => {
      assert.match(issuesOf(decodeJsonV1('[{')).at(0)?.message ?? '', /^body is not valid JSON/);
    });

    it('reads v2 fields given as null as absent, like v1 fields', () => {
      const spans = decodeV1(v1({ kind: null, localEndpoint: null, remoteEndpoint: null, tags: null, shared: null, timestamp: 1000, duration: 5 }));
      assert.equal(spans.length, 1);
    });
  });
});
