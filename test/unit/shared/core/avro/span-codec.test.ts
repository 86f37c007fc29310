import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import fc from 'fast-check';
import {
  decodeSpan, encodeSpan, SPAN_SCHEMA_FINGERPRINT,
} from '../../../../../shared/core/avro/span-codec.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../../shared/core/span-record/headers.ts';
import { SPAN_SCHEMA } from '../../../../../shared/core/avro/span-schema.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const FULL: Span = {
  traceId: '463ac35c9f6413ad48485a3953bb6124',
  id: 'a2fb4a1d1a96d312',
  parentId: '0020000000000001',
  kind: 'CLIENT',
  name: 'get /api/orders',
  timestampMicros: 1_763_000_000_123_456,
  durationMicros: 207_000,
  localEndpoint: { serviceName: 'frontend', ipv4: '10.1.2.3', port: 8080 },
  remoteEndpoint: { serviceName: 'orders', ipv6: '2001:db8::c001', port: 443 },
  annotations: [
    { timestampMicros: 1_763_000_000_123_500, value: 'ws' },
    { timestampMicros: 1_763_000_000_330_000, value: 'wr' },
  ],
  tags: { 'http.method': 'GET', 'http.status_code': '200', 'upstream_cluster': 'outbound|443||orders', '': 'empty key' },
  debug: true,
  shared: false,
};

const MINIMAL: Span = { traceId: '48485a3953bb6124', id: '48485a3953bb6124', annotations: [], tags: {} };

test('header name and fingerprint format', () => {
  assert.equal(SPAN_SCHEMA_HEADER, 'meshray-schema');
  assert.match(SPAN_SCHEMA_FINGERPRINT, /^[0-9a-f]{16}$/);
});

test('round trip: every field, 128-bit trace id', () => {
  assert.deepEqual(decodeSpan(encodeSpan(FULL), SPAN_SCHEMA_FINGERPRINT), { ok: true, value: FULL });
});

test('round trip: 64-bit trace id, absent optionals stay absent (no undefined keys)', () => {
  const decoded = decodeSpan(encodeSpan(MINIMAL));
  assert.deepEqual(decoded, { ok: true, value: MINIMAL });
  assert.ok(decoded.ok);
  assert.deepEqual(Object.keys(decoded.value).sort(), ['annotations', 'id', 'tags', 'traceId']);
});

test('round trip: endpoints with only some fields, zero values kept', () => {
  const span: Span = {
    ...MINIMAL,
    timestampMicros: 0,
    durationMicros: 0,
    localEndpoint: { port: 0 },
    remoteEndpoint: {},
    debug: false,
  };
  assert.deepEqual(decodeSpan(encodeSpan(span)), { ok: true, value: span });
});

test('decoding accepts any Uint8Array view, not only Buffers', () => {
  const bytes = encodeSpan(FULL);
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 4);
  assert.deepEqual(decodeSpan(padded.subarray(4, 4 + bytes.length)), { ok: true, value: FULL });
});

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
// avsc's long type accepts |n| <= 2^53 - 2 (one less than Number.MAX_SAFE_INTEGER).
const micros = fc.integer({ min: 0, max: 2 ** 53 - 2 });
const endpoint = fc.record(
  { serviceName: fc.string(), ipv4: fc.ipV4(), ipv6: fc.ipV6(), port: fc.integer({ min: 0, max: 65535 }) },
  { requiredKeys: [], noNullPrototype: true },
);
const spanArbitrary: fc.Arbitrary<Span> = fc.record(
  {
    traceId: fc.oneof(hex(16), hex(32)),
    id: hex(16),
    parentId: hex(16),
    kind: fc.constantFrom('CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'),
    name: fc.string(),
    timestampMicros: micros,
    durationMicros: micros,
    localEndpoint: endpoint,
    remoteEndpoint: endpoint,
    annotations: fc.array(fc.record({ timestampMicros: micros, value: fc.string() }, { noNullPrototype: true }), { maxLength: 5 }),
    tags: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.string(), { maxKeys: 8, noNullPrototype: true }),
    debug: fc.boolean(),
    shared: fc.boolean(),
  },
  { requiredKeys: ['traceId', 'id', 'annotations', 'tags'], noNullPrototype: true },
);

test('property: every span round-trips', () => {
  fc.assert(fc.property(spanArbitrary, (span) => {
    assert.deepEqual(decodeSpan(encodeSpan(span)), { ok: true, value: span });
  }), { numRuns: 300 });
});

const neverThrows = (bytes: Uint8Array, fingerprint?: string) => {
  const result = decodeSpan(bytes, fingerprint);
  if (!result.ok) {
    assert.ok(result.issues.length > 0);
    for (const issue of result.issues) assert.equal(typeof issue.message, 'string');
  }
};

test('property: random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => neverThrows(bytes)), { numRuns: 2000 });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => neverThrows(bytes, SPAN_SCHEMA_FINGERPRINT)),
    { numRuns: 500 },
  );
});

test('property: corrupted and truncated valid encodings never throw', () => {
  fc.assert(
    fc.property(
      spanArbitrary,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (span, flips, cut) => {
        const bytes = Uint8Array.from(encodeSpan(span));
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        neverThrows(bytes);
        neverThrows(bytes.subarray(0, cut % (bytes.length + 1)));
      },
    ),
    { numRuns: 1000 },
  );
});

test('a huge block count fails at once instead of looping (no hang on garbage)', () => {
  const bytes = encodeSpan(MINIMAL);
  // The last three bytes are: tags block count 0, debug null, shared null.
  const head = bytes.subarray(0, bytes.length - 3);
  const hugeCount = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]; // zigzag 2^48 -> 2^47 entries
  const result = decodeSpan(Buffer.concat([head, Buffer.from(hugeCount), Buffer.from([2, 0x61, 2, 0x62, 0, 0, 0])]));
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.issues[0]?.path === 'tags', JSON.stringify(result));
});

test('trailing bytes and empty input are issues', () => {
  assert.equal(decodeSpan(Buffer.concat([encodeSpan(MINIMAL), Buffer.from([0])])).ok, false);
  assert.equal(decodeSpan(new Uint8Array(0)).ok, false);
});

test('micros beyond 2^53 fail cleanly on decode and throw on encode (a bug upstream)', () => {
  const bigLong = avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(n);
      return buf;
    },
    fromJSON: BigInt,
    toJSON: Number,
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
  });
  const writer = avro.Type.forSchema(SPAN_SCHEMA as never, { registry: { long: bigLong }, wrapUnions: 'auto' });
  const bytes = writer.toBuffer({
    ...Object.fromEntries(Object.keys({ ...MINIMAL, parentId: 0, kind: 0, name: 0, durationMicros: 0, localEndpoint: 0, remoteEndpoint: 0, debug: 0, shared: 0 }).map((k) => [k, null])),
    traceId: MINIMAL.traceId,
    id: MINIMAL.id,
    timestampMicros: 2n ** 60n,
    annotations: [],
    tags: {},
  });
  const result = decodeSpan(bytes);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.issues[0]?.path === 'timestampMicros', JSON.stringify(result));
  assert.throws(() => encodeSpan({ ...MINIMAL, timestampMicros: 2 ** 60 }));
  assert.throws(() => encodeSpan({ ...MINIMAL, timestampMicros: Number.MAX_SAFE_INTEGER }));
  assert.throws(() => encodeSpan({ ...MINIMAL, durationMicros: 1.5 }));
});

test('an unknown writer fingerprint is an issue on the header', () => {
  const result = decodeSpan(encodeSpan(MINIMAL), '0000000000000000');
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.issues[0]?.path === SPAN_SCHEMA_HEADER);
});

test('the UNKNOWN kind symbol decodes as an absent kind', () => {
  const writer = avro.Type.forSchema(SPAN_SCHEMA as never, { wrapUnions: 'auto' });
  const bytes = writer.toBuffer({
    traceId: MINIMAL.traceId, id: MINIMAL.id, parentId: null, kind: 'UNKNOWN', name: null,
    timestampMicros: null, durationMicros: null, localEndpoint: null, remoteEndpoint: null,
    annotations: [], tags: {}, debug: null, shared: null,
  });
  assert.deepEqual(decodeSpan(bytes), { ok: true, value: MINIMAL });
});
