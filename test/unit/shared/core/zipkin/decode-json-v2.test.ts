import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { decodeJsonV2 } from '../../../../../shared/core/zipkin/decode-json-v2.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import type { Issue, Result } from '../../../../../shared/core/result/result.ts';

const TRACE = '4d1e00c0db9010db86154a4ba6e91385';
const ID = '4d1e00c0db9010db';

/** A minimal valid v2 span with some fields replaced (undefined removes a field). */
function spanJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const span: Record<string, unknown> = { traceId: TRACE, id: ID, ...overrides };
  for (const key of Object.keys(span)) if (span[key] === undefined) delete span[key];
  return span;
}

function decodeOne(overrides: Record<string, unknown>): Span {
  const result = decodeJsonV2(JSON.stringify([spanJson(overrides)]));
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.issues)}`);
  assert.equal(result.value.length, 1);
  return result.value[0] as Span;
}

function issuesOf(result: Result<unknown>): readonly Issue[] {
  if (result.ok) assert.fail('expected the body to be refused');
  return result.issues;
}

function refuseOne(overrides: Record<string, unknown>): readonly Issue[] {
  return issuesOf(decodeJsonV2(JSON.stringify([spanJson(overrides)])));
}

describe('decodeJsonV2', () => {
  it("decodes Zipkin's canonical client span into the model", () => {
    const body = JSON.stringify([
      {
        traceId: TRACE,
        parentId: '86154a4ba6e91385',
        id: ID,
        kind: 'CLIENT',
        name: 'get',
        timestamp: 1472470996199000,
        duration: 207000,
        localEndpoint: { serviceName: 'frontend', ipv6: '2001:db8::c001' },
        remoteEndpoint: { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 },
        annotations: [
          { timestamp: 1472470996238000, value: 'foo' },
          { timestamp: 1472470996403000, value: 'bar' },
        ],
        tags: { 'http.path': '/api', 'clnt/finagle.version': '6.45.0' },
      },
    ]);
    assert.deepEqual(decodeJsonV2(body), {
      ok: true,
      value: [
        {
          traceId: TRACE,
          parentId: '86154a4ba6e91385',
          id: ID,
          kind: 'CLIENT',
          name: 'get',
          timestampMicros: 1472470996199000,
          durationMicros: 207000,
          localEndpoint: { serviceName: 'frontend', ipv6: '2001:db8::c001' },
          remoteEndpoint: { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 },
          annotations: [
            { timestampMicros: 1472470996238000, value: 'foo' },
            { timestampMicros: 1472470996403000, value: 'bar' },
          ],
          tags: { 'http.path': '/api', 'clnt/finagle.version': '6.45.0' },
        },
      ],
    });
  });

  it('accepts bytes as well as text, and an empty list', () => {
    const text = JSON.stringify([spanJson()]);
    assert.deepEqual(decodeJsonV2(new TextEncoder().encode(text)), decodeJsonV2(text));
    assert.deepEqual(decodeJsonV2('[]'), { ok: true, value: [] });
    assert.deepEqual(decodeJsonV2(' \n[ ]\n'), { ok: true, value: [] });
  });

  it('skips a UTF-8 byte order mark in a byte body', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('[]')]);
    assert.deepEqual(decodeJsonV2(bytes), { ok: true, value: [] });
  });

  it('gives a minimal span empty annotations and tags and no optional fields', () => {
    assert.deepEqual(decodeOne({}), { traceId: TRACE, id: ID, annotations: [], tags: {} });
  });

  describe('ids', () => {
    const cases: readonly [string, Record<string, unknown>, Partial<Span>][] = [
      ['lowercases an uppercase traceId', { traceId: TRACE.toUpperCase() }, { traceId: TRACE }],
      ['keeps a 64-bit traceId', { traceId: '86154A4BA6E91385' }, { traceId: '86154a4ba6e91385' }],
      ['shortens a 128-bit traceId whose high half is zero to 64 bits', { traceId: '000000000000000086154a4ba6e91385' }, { traceId: '86154a4ba6e91385' }],
      ['left-pads a short traceId to 16', { traceId: 'abc' }, { traceId: '0000000000000abc' }],
      ['left-pads a 17-31 char traceId to 32', { traceId: '1'.repeat(20) }, { traceId: '000000000000' + '1'.repeat(20) }],
      ['left-pads a short id to 16', { id: '1a' }, { id: '000000000000001a' }],
      ['lowercases the id', { id: 'ABCDEF0123456789' }, { id: 'abcdef0123456789' }],
      ['lowercases and pads the parentId', { parentId: 'ABC' }, { parentId: '0000000000000abc' }],
    ];
    for (const [title, overrides, expected] of cases) {
      it(title, () => {
        const span = decodeOne(overrides);
        for (const [key, value] of Object.entries(expected)) assert.equal(span[key as keyof Span], value, key);
      });
    }

    it('drops a parentId equal to the id (also after normalisation)', () => {
      assert.equal('parentId' in decodeOne({ parentId: ID }), false);
      assert.equal('parentId' in decodeOne({ id: 'ABC', parentId: '0abc' }), false);
    });

    it('treats a null, empty or all-zero parentId as no parent', () => {
      for (const parentId of [null, '', '0000000000000000', '0']) {
        assert.equal('parentId' in decodeOne({ parentId }), false, JSON.stringify(parentId));
      }
    });

    const bad: readonly [string, Record<string, unknown>, string, string][] = [
      ['a missing traceId', { traceId: undefined }, 'spans[0].traceId', 'is required'],
      ['a null traceId', { traceId: null }, 'spans[0].traceId', 'is required'],
      ['a non-hex traceId', { traceId: 'xyz' }, 'spans[0].traceId', 'must be 16 or 32 hex characters (shorter ids are left-padded with zeros), got "xyz"'],
      ['a 33-char traceId', { traceId: 'a'.repeat(33) }, 'spans[0].traceId', `must be 16 or 32 hex characters (shorter ids are left-padded with zeros), got "${'a'.repeat(33)}"`],
      ['an empty traceId', { traceId: '' }, 'spans[0].traceId', 'must be 16 or 32 hex characters (shorter ids are left-padded with zeros), got ""'],
      ['a numeric traceId', { traceId: 12345 }, 'spans[0].traceId', 'must be 16 or 32 hex characters (shorter ids are left-padded with zeros), got 12345'],
      ['an all-zero traceId', { traceId: '0000000000000000' }, 'spans[0].traceId', 'must not be all zeros, got "0000000000000000"'],
      ['a missing id', { id: undefined }, 'spans[0].id', 'is required'],
      ['a 17-char id', { id: 'a'.repeat(17) }, 'spans[0].id', `must be 16 hex characters (shorter ids are left-padded with zeros), got "${'a'.repeat(17)}"`],
      ['a 0x-prefixed id', { id: '0x12' }, 'spans[0].id', 'must be 16 hex characters (shorter ids are left-padded with zeros), got "0x12"'],
      ['an all-zero id', { id: '0000000000000000' }, 'spans[0].id', 'must not be all zeros, got "0000000000000000"'],
      ['a non-hex parentId', { parentId: 'zz' }, 'spans[0].parentId', 'must be 16 hex characters (shorter ids are left-padded with zeros), got "zz"'],
      ['a numeric parentId', { parentId: 7 }, 'spans[0].parentId', 'must be 16 hex characters (shorter ids are left-padded with zeros), got 7'],
    ];
    for (const [title, overrides, path, message] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(refuseOne(overrides), [message === 'is required' ? { path, message, code: 'missing' } : { path, message }]);
      });
    }

    it('cuts a very long bad value in the message', () => {
      const [issue] = refuseOne({ traceId: 'q'.repeat(500) });
      assert.ok(issue !== undefined && issue.message.length < 200, issue?.message);
    });
  });

  describe('timestamps and durations', () => {
    const good: readonly [string, unknown, number | undefined][] = [
      ['an integer', 1472470996199000, 1472470996199000],
      ['scientific notation', 1.5e15, 1500000000000000],
      ['a fraction, rounded', 1472470996199000.6, 1472470996199001],
      ['a string of digits', '1472470996199000', 1472470996199000],
      ['0 as absent', 0, undefined],
      ['null as absent', null, undefined],
    ];
    for (const [title, value, expected] of good) {
      it(`accepts ${title}`, () => {
        const span = decodeOne({ timestamp: value, duration: value });
        assert.equal(span.timestampMicros, expected);
        assert.equal(span.durationMicros, expected);
        if (expected === undefined) assert.equal('timestampMicros' in span || 'durationMicros' in span, false);
      });
    }

    it('parses scientific notation written in the body text', () => {
      const result = decodeJsonV2(`[{"traceId":"${TRACE}","id":"${ID}","timestamp":1.5e15,"duration":2.5E2}]`);
      assert.ok(result.ok);
      assert.equal(result.value[0]?.timestampMicros, 1500000000000000);
      assert.equal(result.value[0]?.durationMicros, 250);
    });

    it('reads a negative number or digit string as absent (Span.Builder.timestamp/duration)', () => {
      for (const raw of ['-5', '"-5"']) {
        const result = decodeJsonV2(`[{"traceId":"${TRACE}","id":"${ID}","timestamp":${raw},"duration":${raw}}]`);
        assert.ok(result.ok);
        assert.equal('timestampMicros' in (result.value[0] as Span) || 'durationMicros' in (result.value[0] as Span), false, raw);
      }
    });

    const bad: readonly [string, string, string][] = [
      ['a string that is not digits', '"soon"', 'must be a number of microseconds, got "soon"'],
      ['a boolean', 'true', 'must be a number of microseconds, got true'],
      ['an object', '{}', 'must be a number of microseconds, got an object'],
      ['an overflowing number', '1e400', 'must be a number of microseconds, got Infinity'],
      ['an unsafe integer', '1e17', 'must be at most 9007199254740990 microseconds, got 100000000000000000'],
      ['2^53 − 1, past the Avro record\'s long', '9007199254740991', 'must be at most 9007199254740990 microseconds, got 9007199254740991'],
    ];
    for (const [title, raw, message] of bad) {
      it(`refuses ${title} as timestamp and as duration`, () => {
        const body = `[{"traceId":"${TRACE}","id":"${ID}","timestamp":${raw},"duration":${raw}}]`;
        assert.deepEqual(issuesOf(decodeJsonV2(body)), [
          { path: 'spans[0].timestamp', message },
          { path: 'spans[0].duration', message },
        ]);
      });
    }
  });

  describe('kind, name, flags', () => {
    for (const kind of ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']) {
      it(`accepts ${kind} in any case`, () => {
        assert.equal(decodeOne({ kind }).kind, kind);
        assert.equal(decodeOne({ kind: kind.toLowerCase() }).kind, kind);
        assert.equal(decodeOne({ kind: kind[0] + kind.slice(1).toLowerCase() }).kind, kind);
      });
    }

    it('refuses a v1 span (binaryAnnotations), whose endpoints and tags v2 would drop', () => {
      assert.deepEqual(refuseOne({ binaryAnnotations: [{ key: 'http.url', value: '/', endpoint: { serviceName: 'a' } }] }), [{
        path: 'spans[0]',
        code: 'wrong_version',
        message: 'is a Zipkin v1 span (it has binaryAnnotations), sent as v2: POST it to /api/v1/spans; as v2 its endpoints and tags would be lost',
      }]);
      assert.equal(decodeOne({ binaryAnnotations: null }).id, ID);
      const v1Annotations = [{ timestamp: 1, value: 'sr', endpoint: { serviceName: 'a' } }];
      assert.deepEqual(refuseOne({ annotations: v1Annotations }), [{
        path: 'spans[0]',
        code: 'wrong_version',
        message: 'is a Zipkin v1 span (it has annotation endpoints and no localEndpoint), sent as v2: POST it to /api/v1/spans; as v2 its endpoints and tags would be lost',
      }]);
      // With a localEndpoint the span keeps its service: the stray annotation endpoint is skipped, as by Zipkin.
      assert.equal(decodeOne({ annotations: v1Annotations, localEndpoint: { serviceName: 'a' } }).localEndpoint?.serviceName, 'a');
    });

    it('treats a null kind as absent', () => {
      assert.equal('kind' in decodeOne({ kind: null }), false);
    });

    for (const kind of ['INTERNAL', '', 'CLIENTS', 1]) {
      it(`refuses the unknown kind ${JSON.stringify(kind)}`, () => {
        assert.deepEqual(refuseOne({ kind }), [
          { path: 'spans[0].kind', message: `must be one of CLIENT, SERVER, PRODUCER, CONSUMER, got ${typeof kind === 'string' ? JSON.stringify(kind) : kind}` },
        ]);
      });
    }

    it('lowercases the name and drops an empty one', () => {
      assert.equal(decodeOne({ name: 'GET /Api' }).name, 'get /api');
      assert.equal('name' in decodeOne({ name: '' }), false);
    });

    it('reads a numeric name as its text, as Zipkin\'s reader (Gson nextString) does, and refuses other non-strings', () => {
      assert.equal(decodeOne({ name: 42 }).name, '42');
      assert.deepEqual(refuseOne({ name: true }), [{ path: 'spans[0].name', message: 'must be a string, got true' }]);
    });

    it('keeps shared: true on a SERVER span and on a span without kind', () => {
      assert.equal(decodeOne({ kind: 'SERVER', shared: true }).shared, true);
      assert.equal(decodeOne({ shared: true }).shared, true);
    });

    it('drops shared on a CLIENT span (Zipkin: shared is for the server side)', () => {
      assert.equal('shared' in decodeOne({ kind: 'CLIENT', shared: true }), false);
    });

    it('keeps only true flags', () => {
      assert.equal(decodeOne({ debug: true }).debug, true);
      const span = decodeOne({ debug: false, shared: false });
      assert.equal('debug' in span || 'shared' in span, false);
    });

    it('refuses flags that are not booleans', () => {
      assert.deepEqual(refuseOne({ debug: 'true', shared: 1 }), [
        { path: 'spans[0].debug', message: 'must be a boolean, got "true"' },
        { path: 'spans[0].shared', message: 'must be a boolean, got 1' },
      ]);
    });
  });

  describe('endpoints', () => {
    it('treats port 0 as absent and lowercases serviceName', () => {
      assert.deepEqual(decodeOne({ localEndpoint: { port: 0, serviceName: 'Kourier-Knative', ipv4: '10.244.1.3' } }).localEndpoint, {
        serviceName: 'kourier-knative',
        ipv4: '10.244.1.3',
      });
    });

    it('drops an empty serviceName and an endpoint left empty', () => {
      assert.deepEqual(decodeOne({ localEndpoint: { serviceName: '', ipv4: '10.0.0.1' } }).localEndpoint, { ipv4: '10.0.0.1' });
      assert.equal('localEndpoint' in decodeOne({ localEndpoint: { serviceName: '', port: 0 } }), false);
      assert.equal('remoteEndpoint' in decodeOne({ remoteEndpoint: {} }), false);
      assert.equal('remoteEndpoint' in decodeOne({ remoteEndpoint: null }), false);
    });

    it('routes addresses by their content, lowercases IPv6 and turns IPv4-mapped IPv6 into ipv4', () => {
      assert.deepEqual(decodeOne({ localEndpoint: { ipv4: '2001:DB8::1' } }).localEndpoint, { ipv6: '2001:db8::1' });
      assert.deepEqual(decodeOne({ localEndpoint: { ipv6: '10.1.2.3' } }).localEndpoint, { ipv4: '10.1.2.3' });
      assert.deepEqual(decodeOne({ localEndpoint: { ipv6: '::ffff:10.1.2.3' } }).localEndpoint, { ipv4: '10.1.2.3' });
      assert.deepEqual(decodeOne({ localEndpoint: { ipv4: '', ipv6: null, port: 8080 } }).localEndpoint, { port: 8080 });
    });

    const bad: readonly [string, Record<string, unknown>, string, string][] = [
      ['an endpoint that is not an object', { localEndpoint: 'frontend' }, 'spans[0].localEndpoint', 'must be an object, got "frontend"'],
      ['an endpoint that is an array', { remoteEndpoint: [] }, 'spans[0].remoteEndpoint', 'must be an object, got an array'],
      ['a port above 65535', { localEndpoint: { port: 70000 } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got 70000'],
      ['a fractional port', { localEndpoint: { port: 80.5 } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got 80.5'],
      ['a port that is text but no number', { localEndpoint: { port: '8o' } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got "8o"'],
      ['a port of digits above 65535', { localEndpoint: { port: '65536' } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got "65536"'],
      ['a port outside a Java int (Gson\'s nextInt throws)', { localEndpoint: { port: '-9999999999' } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got "-9999999999"'],
      ['a numeric port outside a Java int', { localEndpoint: { port: -1e20 } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got -100000000000000000000'],
      ['a port of text with a fraction', { localEndpoint: { port: '80.5' } }, 'spans[0].localEndpoint.port', 'must be an integer up to 65535, got "80.5"'],
      ['a boolean serviceName', { localEndpoint: { serviceName: true } }, 'spans[0].localEndpoint.serviceName', 'must be a string, got true'],
    ];
    for (const [title, overrides, path, message] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(refuseOne(overrides), [message === 'is required' ? { path, message, code: 'missing' } : { path, message }]);
      });
    }
  });

  describe('tags', () => {
    it('stringifies numbers and booleans and drops null values', () => {
      assert.deepEqual(decodeOne({ tags: { 'http.status_code': 200, error: true, ratio: 0.5, gone: null, s: 'x' } }).tags, {
        'http.status_code': '200',
        error: 'true',
        ratio: '0.5',
        s: 'x',
      });
    });

    it('keeps odd keys as data', () => {
      const result = decodeJsonV2(`[{"traceId":"${TRACE}","id":"${ID}","tags":{"__proto__":"x","constructor":"y"}}]`);
      assert.ok(result.ok);
      const tags = result.value[0]?.tags ?? {};
      assert.equal(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value, 'x');
      assert.equal(tags['constructor'], 'y');
      assert.equal(Object.getPrototypeOf(tags), Object.prototype);
    });

    const bad: readonly [string, unknown, string, string][] = [
      ['tags that are an array', ['a'], 'spans[0].tags', 'must be an object of string values, got an array'],
      ['tags that are a string', 'a=b', 'spans[0].tags', 'must be an object of string values, got "a=b"'],
      ['a nested object value', { a: { b: 'c' } }, 'spans[0].tags["a"]', 'must be a string, number or boolean, got an object'],
      ['an array value', { 'http.url': ['x'] }, 'spans[0].tags["http.url"]', 'must be a string, number or boolean, got an array'],
    ];
    for (const [title, tags, path, message] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(refuseOne({ tags }), [{ path, message }]);
      });
    }
  });

  describe('annotations', () => {
    it('parses timestamps sent as strings of digits', () => {
      assert.deepEqual(decodeOne({ annotations: [{ value: 'ss', timestamp: '1689241786526291' }] }).annotations, [
        { timestampMicros: 1689241786526291, value: 'ss' },
      ]);
    });

    it('drops an annotation without a timestamp (old Envoy sent {"value":"ss"})', () => {
      assert.deepEqual(decodeOne({ annotations: [{ value: 'ss' }, { value: 'x', timestamp: 5 }] }).annotations, [{ timestampMicros: 5, value: 'x' }]);
    });

    it('sorts annotations by time and drops exact duplicates, as Zipkin does', () => {
      const annotations = [
        { timestamp: 30, value: 'c' },
        { timestamp: 10, value: 'a' },
        { timestamp: 30, value: 'c' },
        { timestamp: 20, value: 'b' },
      ];
      assert.deepEqual(decodeOne({ annotations }).annotations, [
        { timestampMicros: 10, value: 'a' },
        { timestampMicros: 20, value: 'b' },
        { timestampMicros: 30, value: 'c' },
      ]);
    });

    const bad: readonly [string, unknown, string, string][] = [
      ['annotations that are an object', {}, 'spans[0].annotations', 'must be an array, got an object'],
      ['an annotation that is a string', ['ss'], 'spans[0].annotations[0]', 'must be an object, got "ss"'],
      ['an annotation without value', [{ timestamp: 1 }], 'spans[0].annotations[0].value', 'must be a non-empty string, got nothing'],
      ['an annotation with a numeric value', [{ timestamp: 1, value: 3 }], 'spans[0].annotations[0].value', 'must be a non-empty string, got 3'],
    ];
    for (const [title, annotations, path, message] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(refuseOne({ annotations }), [{ path, message }]);
      });
    }
  });

  it('tolerates any key order and ignores unknown keys', () => {
    const body = `[{"tags":{"a":"b"}, "x-unknown":{"deep":[1]}, "duration":5, "id":"${ID}", "kind":"SERVER", "traceId":"${TRACE}"}]`;
    const result = decodeJsonV2(body);
    assert.deepEqual(result, { ok: true, value: [{ traceId: TRACE, id: ID, kind: 'SERVER', durationMicros: 5, annotations: [], tags: { a: 'b' } }] });
  });

  describe('refusing the body as a whole', () => {
    const bad: readonly [string, string, readonly Issue[]][] = [
      ['an object instead of a list', '{"traceId":"a"}', [{ path: 'spans', message: 'must be a JSON array of spans, got an object' }]],
      ['a string instead of a list', '"spans"', [{ path: 'spans', message: 'must be a JSON array of spans, got "spans"' }]],
      ['null', 'null', [{ path: 'spans', message: 'must be a JSON array of spans, got null' }]],
      ['a span that is not an object', `[{"traceId":"${TRACE}","id":"${ID}"}, 3, null, []]`, [
        { path: 'spans[1]', message: 'must be a span object, got 3' },
        { path: 'spans[2]', message: 'must be a span object, got null' },
        { path: 'spans[3]', message: 'must be a span object, got an array' },
      ]],
    ];
    for (const [title, body, issues] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(issuesOf(decodeJsonV2(body)), issues);
      });
    }

    it('refuses text that is not JSON, naming the parse error', () => {
      for (const body of ['', '[', '[{"traceId":}]', 'not json', '[1,]']) {
        const issues = issuesOf(decodeJsonV2(body));
        assert.equal(issues.length, 1);
        assert.equal(issues[0]?.path, '');
        assert.match(issues[0]?.message ?? '', /^body is not valid JSON: /);
      }
    });

    it('reads malformed UTF-8 as Zipkin does (U+FFFD), keeping every span; names compressed bodies sent without their encoding', () => {
      // a Latin-1 byte in one tag value refused the whole body with 400 (Envoy does not resend)
      const json = JSON.stringify([spanJson({ tags: { 'http.user_agent': 'caf\u00e9' } }), spanJson({ id: '0000000000000002' })]);
      const bytes = Buffer.from(json, 'latin1');
      const result = decodeJsonV2(new Uint8Array(bytes));
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.value.length, 2);
      assert.equal(result.value[0]?.tags['http.user_agent'], 'caf\ufffd');
      assert.match(issuesOf(decodeJsonV2(new Uint8Array([0x5b, 0xff, 0x5d])))[0]?.message ?? '', /^body is not valid JSON: /, 'garbage is still refused, as JSON');
      assert.match(issuesOf(decodeJsonV2(gzipSync('[]')))[0]?.message ?? '', /it is gzip-compressed \(starts with 1f 8b\); send it with Content-Encoding: gzip/);
      // zlib's default header 78 9c: 0x9c cannot start a UTF-8 character
      assert.match(issuesOf(decodeJsonV2(deflateSync('[]')))[0]?.message ?? '', /it looks zlib-compressed \(a deflate header\); send it with Content-Encoding: deflate/);
    });

    it('collects every issue of every span, and accepts none of the body', () => {
      const body = JSON.stringify([
        spanJson(),
        spanJson({ traceId: 'xyz', duration: 'x' }),
        spanJson(),
        spanJson({ id: undefined, kind: 'INTERNAL', tags: { a: [] } }),
      ]);
      assert.deepEqual(issuesOf(decodeJsonV2(body)), [
        { path: 'spans[1].traceId', message: 'must be 16 or 32 hex characters (shorter ids are left-padded with zeros), got "xyz"' },
        { path: 'spans[1].duration', message: 'must be a number of microseconds, got "x"' },
        { path: 'spans[3].id', message: 'is required', code: 'missing' },
        { path: 'spans[3].kind', message: 'must be one of CLIENT, SERVER, PRODUCER, CONSUMER, got "INTERNAL"' },
        { path: 'spans[3].tags["a"]', message: 'must be a string, number or boolean, got an array' },
      ]);
    });
  });
});
