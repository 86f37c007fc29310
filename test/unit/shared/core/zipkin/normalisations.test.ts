/**
 * One row per Zipkin normalisation, run through every decoder it applies to (v2 JSON, v1 JSON, v2 proto).
 * Each row cites the line of openzipkin/zipkin it mirrors (commit 878ce2a1fad54ca941d17fdcf2e1d924b148eb1f,
 * paths under zipkin/src/main/java/zipkin2/). The last rows are meshray's own repairs beyond Zipkin.
 * A row's expectation is checked on the decoded span (`expect`), or the span is refused alone (`refused`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeSpanBatch } from '../../../../../shared/core/zipkin/index.ts';
import type { ZipkinFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const ListOfSpans = protobuf.loadSync(fileURLToPath(new URL('../../../../../shared/core/zipkin/proto/zipkin.proto', import.meta.url))).lookupType('zipkin.proto3.ListOfSpans');
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
/** -1 as the unsigned 64-bit value a Java long -1 is on the wire (fixed64 / uint64). */
const MINUS_ONE_U64 = '18446744073709551615';

const TRACE = '86154a4ba6e91385';
const ID = '4d1e00c0db9010db';
const T = 1748779200355737;

type Json = Record<string, unknown>;
/** Inputs: a v2 JSON span, a v1 JSON span, a proto span (protobufjs object); absent = not applicable. */
interface Inputs { readonly v2?: Json; readonly v1?: Json; readonly proto?: Json }
type Expectation = { readonly expect: (span: Span) => void } | { readonly refused: string };
type Row = readonly [rule: string, source: string, inputs: Inputs, expectation: Expectation];

const v2 = (fields: Json): Json => ({ traceId: TRACE, id: ID, ...fields });
const protoSpan = (fields: Json): Json => ({ traceId: hex(TRACE), id: hex(ID), ...fields });
/** A v1 server span whose sr/ss annotations carry `endpoint` (it becomes the model span's localEndpoint). */
const v1Server = (endpoint: Json, fields: Json = {}): Json => ({
  traceId: TRACE, id: ID, name: 'get', timestamp: T, duration: 100,
  annotations: [{ value: 'sr', timestamp: T, endpoint }, { value: 'ss', timestamp: T + 100, endpoint }], ...fields,
});

const rows: readonly Row[] = [
  ['a negative timestamp is absent', 'Span.java:480 Builder.timestamp(long): if (timestamp < 0L) timestamp = 0L',
    { v2: v2({ timestamp: -1, duration: 5 }), v1: { traceId: TRACE, id: ID, timestamp: -1 }, proto: protoSpan({ timestamp: MINUS_ONE_U64 }) },
    { expect: (s) => assert.equal(s.timestampMicros, undefined) }],
  ['a negative duration is absent', 'Span.java:494 Builder.duration(long): if (duration < 0L) duration = 0L',
    { v2: v2({ timestamp: T, duration: -1431 }), v1: { traceId: TRACE, id: ID, timestamp: T, duration: -1431 }, proto: protoSpan({ timestamp: T, duration: MINUS_ONE_U64 }) },
    { expect: (s) => { assert.equal(s.timestampMicros, T); assert.equal(s.durationMicros, undefined); } }],
  ['a zero timestamp and duration are absent', 'Span.java:281 long timestamp, duration; // zero means null',
    { v2: v2({ timestamp: 0, duration: 0 }), v1: { traceId: TRACE, id: ID, timestamp: 0, duration: 0 }, proto: protoSpan({ timestamp: 0, duration: 0 }) },
    { expect: (s) => assert.equal(s.timestampMicros ?? s.durationMicros, undefined) }],
  ['an ipv4 that is not an IP literal (a host name) is left out', 'Endpoint.java:251 parseIp(String): Unknown family → return false',
    { v2: v2({ localEndpoint: { serviceName: 'storefront', ipv4: '7c0ffee1d2a3', port: 9292 } }), v1: v1Server({ serviceName: 'storefront', ipv4: '7c0ffee1d2a3', port: 9292 }) },
    { expect: (s) => assert.deepEqual(s.localEndpoint, { serviceName: 'storefront', port: 9292 }) }],
  ['an ipv6 that is not an IP literal is left out', 'Endpoint.java:247 parseIp(String): textToNumericFormatV6 null → return false',
    { v2: v2({ remoteEndpoint: { serviceName: 'db', ipv6: '2001:db8:::1' } }) },
    { expect: (s) => assert.deepEqual(s.remoteEndpoint, { serviceName: 'db' }) }],
  ['address bytes of another length are left out', 'Endpoint.java:185 parseIp(byte[]): neither 4 nor 16 bytes → return false',
    { proto: protoSpan({ localEndpoint: { serviceName: 'a', ipv4: hex('0102030405'), ipv6: hex('01020304') } }) },
    { expect: (s) => assert.deepEqual(s.localEndpoint, { serviceName: 'a' }) }],
  ['an IPv4-mapped IPv6 address is the IPv4 address', 'Endpoint.java:242 parseIp(String): IPv4Embedded → ipv4 (detectFamily, :339-348)',
    { v2: v2({ localEndpoint: { ipv6: '::ffff:10.1.2.3' } }), v1: v1Server({ serviceName: 'a', ipv6: '::ffff:10.1.2.3' }), proto: protoSpan({ localEndpoint: { ipv6: hex('00000000000000000000ffff0a010203') } }) },
    { expect: (s) => assert.equal(s.localEndpoint?.ipv4, '10.1.2.3') }],
  ['a negative port is unknown (0, absent)', 'Endpoint.java:274 port(int): if (port < 0) port = 0 (and :265 port(Integer))',
    { v2: v2({ localEndpoint: { serviceName: 'quotes', port: -1 } }), v1: v1Server({ serviceName: 'quotes', port: -7936 }), proto: protoSpan({ localEndpoint: { serviceName: 'quotes', port: -1 } }) },
    { expect: (s) => assert.deepEqual(s.localEndpoint, { serviceName: 'quotes' }) }],
  ['a port above 65535 refuses the span (alone)', 'Endpoint.java:273 port(int): if (port > 0xffff) throw new IllegalArgumentException',
    { v2: v2({ localEndpoint: { port: 65536 } }), v1: v1Server({ serviceName: 'a', port: 70000 }), proto: protoSpan({ localEndpoint: { port: 65536 } }) },
    { refused: 'invalid_port' }],
  ['an empty serviceName is absent; a serviceName is lowercased', 'Endpoint.java:128 serviceName(String): isEmpty() ? null : toLowerCase(Locale.ROOT)',
    { v2: v2({ localEndpoint: { serviceName: '', ipv4: '10.0.0.1' }, remoteEndpoint: { serviceName: 'Backend' } }), proto: protoSpan({ localEndpoint: { serviceName: '', ipv4: hex('0a000001') }, remoteEndpoint: { serviceName: 'Backend' } }) },
    { expect: (s) => { assert.deepEqual(s.localEndpoint, { ipv4: '10.0.0.1' }); assert.deepEqual(s.remoteEndpoint, { serviceName: 'backend' }); } }],
  ['an endpoint with no field left is absent', 'V2SpanReader.java:125 return readField ? result.build() : null',
    { v2: v2({ localEndpoint: {}, remoteEndpoint: { serviceName: null, port: 0 } }) },
    { expect: (s) => assert.equal(s.localEndpoint ?? s.remoteEndpoint, undefined) }],
  ['a port given as a string of digits is that port', 'internal/JsonCodec.java JsonReader delegates to com.google.gson.stream.JsonReader; internal/V2SpanReader.java ENDPOINT_READER port(reader.nextInt()): Gson nextInt parses a STRING token',
    { v2: v2({ localEndpoint: { serviceName: 'storefront', port: '9292' } }), v1: v1Server({ serviceName: 'storefront', port: '9292' }) },
    { expect: (s) => assert.deepEqual(s.localEndpoint, { serviceName: 'storefront', port: 9292 }) }],
  ['a port string Java reads as a whole number (sign, zeros, fraction .0, exponent, spaces) is that port', 'Gson JsonReader.nextInt: Integer.parseInt, else Double.parseDouble and an exact int',
    { v2: v2({ localEndpoint: { serviceName: 'a', port: '+80' }, remoteEndpoint: { serviceName: 'b', port: ' 8e1 ' } }), v1: v1Server({ serviceName: 'a', port: '0080.0' }) },
    { expect: (s) => { assert.equal(s.localEndpoint?.port, 80); if (s.remoteEndpoint !== undefined) assert.equal(s.remoteEndpoint.port, 80); } }],
  ['a name or serviceName given as a number is its text', 'internal/V2SpanReader.java name(reader.nextString()), ENDPOINT_READER serviceName(reader.nextString()): Gson nextString returns a NUMBER token as its text',
    { v2: v2({ name: 123, localEndpoint: { serviceName: 8080 } }), v1: v1Server({ serviceName: 8080 }, { name: 123 }) },
    { expect: (s) => { assert.equal(s.name, '123'); assert.equal(s.localEndpoint?.serviceName, '8080'); } }],
  ['an empty name is absent; a name is lowercased', 'Span.java:474 name(String): isEmpty() ? null : toLowerCase(Locale.ROOT) (V1Span.java builder likewise)',
    { v2: v2({ name: 'GET /API' }), v1: { traceId: TRACE, id: ID, name: 'GET /API', timestamp: T }, proto: protoSpan({ name: 'GET /API' }) },
    { expect: (s) => assert.equal(s.name, 'get /api') }],
  ['a 32-hex trace id whose high half is zero is the 64-bit id', 'Span.java:630 normalizeTraceId: if (length == 32 && zeros >= 16) return traceId.substring(16)',
    { v2: v2({ traceId: `${'0'.repeat(16)}${TRACE}` }), v1: { traceId: `${'0'.repeat(16)}${TRACE}`, id: ID, timestamp: T }, proto: protoSpan({ traceId: hex(`${'0'.repeat(16)}${TRACE}`) }) },
    { expect: (s) => assert.equal(s.traceId, TRACE) }],
  ['a short trace id is left-padded to 16', 'Span.java:633 normalizeTraceId: return padLeft(traceId, 16)',
    { v2: v2({ traceId: 'abc' }), v1: { traceId: 'abc', id: ID, timestamp: T } },
    { expect: (s) => assert.equal(s.traceId, '0000000000000abc') }],
  ['an all-zero parentId is no parent', 'Span.java:435 parentId(String): all zeros → this.parentId = null',
    { v2: v2({ parentId: '0000000000000000' }), v1: { traceId: TRACE, id: ID, parentId: '0000000000000000', timestamp: T }, proto: protoSpan({ parentId: hex('0000000000000000') }) },
    { expect: (s) => assert.equal(s.parentId, undefined) }],
  ['a parentId equal to the id is dropped', 'Span.java:591 build(): if (id.equals(parentId)) parentId = null',
    { v2: v2({ parentId: ID }), v1: { traceId: TRACE, id: ID, parentId: ID, timestamp: T }, proto: protoSpan({ parentId: hex(ID) }) },
    { expect: (s) => assert.equal(s.parentId, undefined) }],
  ['shared is dropped from a CLIENT span', 'Span.java:604 build(): shared on a client → shared(null)',
    { v2: v2({ kind: 'CLIENT', shared: true }), proto: protoSpan({ kind: 1, shared: true }) },
    { expect: (s) => assert.equal(s.shared, undefined) }],
  ['a null field is skipped', 'V2SpanReader.java:31 / :107 peekNull() → skipValue()',
    { v2: v2({ name: null, kind: null, timestamp: null, localEndpoint: { serviceName: 'a', ipv4: null, port: null } }), v1: { traceId: TRACE, id: ID, name: null, timestamp: T, annotations: null } },
    { expect: (s) => assert.equal(s.name ?? s.kind, undefined) }],
  ['an unknown kind number is ignored', 'Proto3ZipkinFields.java:324 if (kind > Span.Kind.values().length) break',
    { proto: protoSpan({ kind: 9 }) },
    { expect: (s) => assert.equal(s.kind, undefined) }],
  ['an annotation without a timestamp or a value is dropped', 'Proto3ZipkinFields.java:150 if (timestamp == 0L || value == null) return false',
    { v2: v2({ annotations: [{ value: 'ss' }, { timestamp: T, value: 'ok' }] }), proto: protoSpan({ annotations: [{ value: 'ss' }, { timestamp: T }, { timestamp: T, value: 'ok' }] }) },
    { expect: (s) => assert.deepEqual(s.annotations, [{ timestampMicros: T, value: 'ok' }]) }],
  ['an address annotation with an empty endpoint is ignored', 'V1Span.java:225 addBinaryAnnotation(address): EMPTY_ENDPOINT → return this',
    { v1: v1Server({ serviceName: 'a' }, { binaryAnnotations: [{ key: 'ca', value: true, endpoint: {} }] }) },
    { expect: (s) => assert.equal(s.remoteEndpoint, undefined) }],
  // meshray's own repairs, where Zipkin refuses or stores a value X-Ray cannot use
  ['upper-case hex ids are lowercased (Zipkin refuses them)', 'Span.java:686 validateHexAndReturnZeroPrefix throws "should be lower-hex"; meshray repairs the unambiguous value',
    { v2: v2({ traceId: TRACE.toUpperCase(), id: ID.toUpperCase(), parentId: 'ABC' }), v1: { traceId: TRACE.toUpperCase(), id: ID.toUpperCase(), timestamp: T } },
    { expect: (s) => { assert.equal(s.traceId, TRACE); assert.equal(s.id, ID); } }],
  ['epoch milliseconds are microseconds x 1000, with their duration (Zipkin stores them: a 1970 trace)', 'openzipkin/zipkin#1151; meshray timestampUnitFactorOf, counted timestamp_unit_repaired',
    { v2: v2({ timestamp: 1748779200123, duration: 45 }), v1: { traceId: TRACE, id: ID, timestamp: 1748779200123, duration: 45 }, proto: protoSpan({ timestamp: 1748779200123, duration: 45 }) },
    { expect: (s) => { assert.equal(s.timestampMicros, 1748779200123000); assert.equal(s.durationMicros, 45000); } }],
  ['epoch seconds are microseconds x 1e6', 'meshray timestampUnitFactorOf, counted timestamp_unit_repaired',
    { v2: v2({ timestamp: 1748779200.5, duration: 0.25 }) },
    { expect: (s) => { assert.equal(s.timestampMicros, 1748779200500000); assert.equal(s.durationMicros, 250000); } }],
];

function bodyOf(format: ZipkinFormat, span: Json): Uint8Array | string {
  if (format === 'proto-v2') return ListOfSpans.encode(ListOfSpans.fromObject({ spans: [span] })).finish();
  return JSON.stringify([span]);
}

const FORMATS: readonly (readonly [keyof Inputs, ZipkinFormat])[] = [['v2', 'json-v2'], ['v1', 'json-v1'], ['proto', 'proto-v2']];

describe('Zipkin normalisations, one row each, in every decoder', () => {
  for (const [rule, source, inputs, expectation] of rows) {
    for (const [key, format] of FORMATS) {
      const input = inputs[key];
      if (input === undefined) continue;
      it(`${format}: ${rule} (${source})`, () => {
        const result = decodeSpanBatch(bodyOf(format, input), format);
        if (!result.ok) assert.fail(`the body was refused: ${JSON.stringify(result.issues)}`);
        const { spans, refused } = result.value;
        if ('refused' in expectation) {
          assert.equal(spans.length, 0);
          assert.deepEqual(refused.map((r) => [r.index, r.reason]), [[0, expectation.refused]]);
          return;
        }
        assert.deepEqual(refused, [], 'nothing refused');
        assert.ok(spans.length >= 1);
        for (const span of spans) expectation.expect(span);
      });
    }
  }

  it('every row runs through at least one decoder, and every decoder has rows', () => {
    for (const [rule, , inputs] of rows) assert.ok(Object.keys(inputs).length > 0, rule);
    for (const [key] of FORMATS) assert.ok(rows.filter(([, , inputs]) => inputs[key] !== undefined).length >= 10, key);
  });
});

describe('per-span isolation in every decoder', () => {
  it('a span still invalid after normalisation is refused alone, named by index, field and reason', () => {
    const bodies: [ZipkinFormat, Uint8Array | string][] = [
      ['json-v2', JSON.stringify([v2({ timestamp: T }), v2({ traceId: undefined }), v2({ id: 'xyz' })])],
      ['json-v1', JSON.stringify([{ traceId: TRACE, id: ID, timestamp: T }, { id: ID }, { traceId: TRACE, id: 'xyz' }])],
      ['proto-v2', ListOfSpans.encode(ListOfSpans.fromObject({ spans: [protoSpan({ timestamp: T }), { id: hex(ID) }, { traceId: hex(TRACE), id: hex('0102') }] })).finish()],
    ];
    for (const [format, body] of bodies) {
      const result = decodeSpanBatch(body, format);
      assert.ok(result.ok, format);
      assert.deepEqual(result.value.spans.map((s) => s.timestampMicros), [T], format);
      assert.deepEqual(result.value.refused.map((r) => [r.index, r.field, r.reason]), [[1, 'traceId', 'missing_trace_id'], [2, 'id', 'invalid_id']], format);
    }
  });
});

describe('a timestamp sent in epoch nanoseconds', () => {
  it('is refused alone in every decoder, and the issue says it reads as nanoseconds (divide by 1000); a value that is not says nothing of the kind', () => {
    const nanos = '1748779200355737000'; // T in nanoseconds
    const bodies: [ZipkinFormat, Uint8Array | string][] = [
      ['json-v2', `[{"traceId":"${TRACE}","id":"${ID}","timestamp":${nanos},"duration":5}]`],
      ['json-v1', `[{"traceId":"${TRACE}","id":"${ID}","timestamp":${nanos}}]`],
      ['proto-v2', ListOfSpans.encode(ListOfSpans.fromObject({ spans: [protoSpan({ timestamp: nanos })] })).finish()],
    ];
    for (const [format, body] of bodies) {
      const result = decodeSpanBatch(body, format);
      assert.ok(result.ok, format);
      assert.equal(result.value.spans.length, 0, format);
      const messages = result.value.refused.flatMap((r) => r.issues.map((i) => i.message));
      assert.equal(messages.length, 1, format);
      assert.match(messages[0] ?? '', /^must be at most 9007199254740990 microseconds(, got 1748779200355737\d+)?: it reads as epoch nanoseconds \(Zipkin timestamps are epoch microseconds: divide by 1000\)$/, format);
    }
    const far = decodeSpanBatch(`[{"traceId":"${TRACE}","id":"${ID}","timestamp":9107199254740990}]`, 'json-v2');
    assert.ok(far.ok);
    assert.deepEqual(far.value.refused.flatMap((r) => r.issues.map((i) => i.message)), ['must be at most 9007199254740990 microseconds, got 9107199254740990']);
  });
});
