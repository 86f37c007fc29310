import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { anyText } from '../../../../support/arbitraries.ts';
import protobuf from 'protobufjs';
import { decodeSpans, detectFormat, type ZipkinFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Result } from '../../../../../shared/core/result/result.ts';
import { MAX_SPAN_MICROS, type Span } from '../../../../../shared/core/zipkin/span.ts';
import { encodeSpanItems } from '../../../../../shared/core/avro/span-codec.ts';

const FORMATS: readonly ZipkinFormat[] = ['json-v2', 'json-v1', 'proto-v2'];
const root = protobuf.loadSync(fileURLToPath(new URL('../../../../../shared/core/zipkin/proto/zipkin.proto', import.meta.url)));
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

/**
 * A result is well formed: ok with a list of spans the Avro span record can carry (whatever a decoder accepts
 * is published: a span the writer refused crashed the receiver), or refused with at least one issue that has
 * a path and a message.
 */
function assertWellFormed(result: Result<unknown>): void {
  if (result.ok) {
    assert.ok(Array.isArray(result.value));
    encodeSpanItems(result.value as Span[]);
  } else {
    assert.ok(result.issues.length > 0);
    for (const issue of result.issues) {
      assert.equal(typeof issue.path, 'string');
      assert.ok(typeof issue.message === 'string' && issue.message.length > 0);
    }
  }
}

function decodeEverywhere(body: Uint8Array | string): void {
  for (const format of FORMATS) assertWellFormed(decodeSpans(body, format));
  if (typeof body !== 'string') {
    detectFormat(body);
    detectFormat(body, 'application/json');
    detectFormat(body, 'application/x-protobuf');
  }
}

const SPAN_KEYS = [
  'traceId', 'id', 'parentId', 'kind', 'name', 'timestamp', 'duration', 'localEndpoint', 'remoteEndpoint',
  'annotations', 'tags', 'debug', 'shared', 'binaryAnnotations', 'endpoint', 'value', 'key', 'serviceName', 'ipv4', 'ipv6', 'port',
] as const;

const hexChar = fc.constantFrom(...'0123456789abcdefABCDEF');
const hexText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: hexChar, minLength, maxLength }).filter((s) => !/^0+$/.test(s));
/** Microseconds a span may carry, its bounds drawn often. */
const micros = fc.oneof(fc.integer({ min: 0, max: MAX_SPAN_MICROS }), fc.constantFrom(0, 1, MAX_SPAN_MICROS));
/** Past what a span may carry: refused, never passed on (2^53 − 1 crashed the receiver's Avro writer). */
const tooManyMicros = fc.constantFrom(MAX_SPAN_MICROS + 1, Number.MAX_SAFE_INTEGER, 2 ** 60);
const endpointArb = fc.record(
  {
    serviceName: fc.string(),
    ipv4: fc.oneof(fc.ipV4(), fc.constant('')),
    ipv6: fc.ipV6(),
    port: fc.integer({ min: 0, max: 65535 }),
  },
  { requiredKeys: [] },
);

/** Any valid v2 JSON span, with the quirks Envoy and others send (case, padding, numbers, digit strings). */
const validV2Span = fc.record(
  {
    traceId: hexText(1, 32),
    id: hexText(1, 16),
    parentId: fc.oneof(hexText(1, 16), fc.constant(null)),
    kind: fc.constantFrom('CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER', 'client', 'Server'),
    name: fc.string(),
    timestamp: fc.oneof(micros, micros.map(String), fc.double({ min: 0, max: 1e15, noNaN: true })),
    duration: fc.oneof(micros, fc.constant(0)),
    localEndpoint: endpointArb,
    remoteEndpoint: fc.option(endpointArb, { nil: null }),
    annotations: fc.array(fc.record({ timestamp: fc.oneof(micros, micros.map(String)), value: fc.string({ minLength: 1 }) })),
    tags: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))),
    debug: fc.boolean(),
    shared: fc.boolean(),
  },
  { requiredKeys: ['traceId', 'id'] },
);

const LOWER_TRACE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const LOWER_SPAN_ID = /^[0-9a-f]{16}$/;

function expectedId(sent: string, width16: boolean): string {
  const lower = sent.toLowerCase();
  const width = width16 || lower.length <= 16 ? 16 : 32;
  // Span.normalizeTraceId: a 32-character id whose high half is zero is the 64-bit id
  if (lower.length === 32 && lower.startsWith('0'.repeat(16))) return lower.slice(16);
  return lower.padStart(width, '0');
}

describe('decodeSpans and detectFormat, by property', () => {
  it('never throw for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodeEverywhere(bytes)), { numRuns: 1000 });
  });

  it('never throw for bytes that start like protobuf or JSON', () => {
    const prefixed = fc.tuple(fc.constantFrom([0x0a], [0x0a, 0x5b], [0x0a, 0x7b], [0x5b], [0x20, 0x5b, 0x7b]), fc.uint8Array({ maxLength: 256 }));
    fc.assert(fc.property(prefixed, ([prefix, rest]) => decodeEverywhere(Uint8Array.from([...prefix, ...rest]))), { numRuns: 1000 });
  });

  it('never throw for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), anyText()), (text) => {
        decodeEverywhere(text);
        decodeEverywhere(new TextEncoder().encode(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throw for arbitrary JSON, bare or as a list of span-like objects', () => {
    const spanLike = fc.dictionary(fc.constantFrom(...SPAN_KEYS), fc.jsonValue({ maxDepth: 3 }));
    const body = fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue({ maxDepth: 3 })), fc.array(spanLike, { maxLength: 5 }));
    fc.assert(
      fc.property(body, (value) => {
        const text = JSON.stringify(value) ?? 'null';
        decodeEverywhere(text);
        decodeEverywhere(new TextEncoder().encode(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuse, in every format, a time past what the Avro span record carries, and never pass it on', () => {
    const field = fc.constantFrom('timestamp', 'duration', 'annotation');
    fc.assert(
      fc.property(validV2Span, field, tooManyMicros, (span, where, value) => {
        const sent = where === 'annotation' ? { ...span, annotations: [{ timestamp: value, value: 'x' }] } : { ...span, [where]: value };
        const text = JSON.stringify([sent]);
        for (const format of FORMATS) {
          const result = decodeSpans(text, format);
          assertWellFormed(result);
          if (format === 'json-v2') assert.equal(result.ok, false, `${where} ${value} refused`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never throw for valid spans with some fields replaced by arbitrary JSON', () => {
    const fuzzed = fc.tuple(validV2Span, fc.dictionary(fc.constantFrom(...SPAN_KEYS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }));
    fc.assert(
      fc.property(fc.array(fuzzed, { maxLength: 4 }), (pairs) => {
        const text = JSON.stringify(pairs.map(([span, noise]) => ({ ...span, ...noise })));
        decodeEverywhere(text);
        decodeEverywhere(new TextEncoder().encode(text));
      }),
      { numRuns: 200 },
    );
  });

  it('always decode valid v2 spans, with lowercase, zero-padded ids', () => {
    fc.assert(
      fc.property(fc.array(validV2Span, { maxLength: 8 }), (spans) => {
        const bytes = new TextEncoder().encode(JSON.stringify(spans));
        assert.equal(detectFormat(bytes), 'json-v2');
        const result = decodeSpans(bytes, 'json-v2');
        if (!result.ok) assert.fail(JSON.stringify(result.issues));
        assert.equal(result.value.length, spans.length);
        result.value.forEach((span, i) => {
          const sent = spans[i] as (typeof spans)[number];
          assert.match(span.traceId, LOWER_TRACE_ID);
          assert.match(span.id, LOWER_SPAN_ID);
          assert.equal(span.traceId, expectedId(sent.traceId, false));
          assert.equal(span.id, expectedId(sent.id, true));
          if (span.parentId !== undefined) {
            assert.match(span.parentId, LOWER_SPAN_ID);
            assert.notEqual(span.parentId, span.id);
          }
          for (const value of Object.values(span.tags)) assert.equal(typeof value, 'string');
          assert.ok(span.timestampMicros === undefined || Number.isSafeInteger(span.timestampMicros));
          assert.equal(span.localEndpoint?.port === 0, false);
          if (span.name !== undefined) assert.equal(span.name, span.name.toLowerCase());
        });
      }),
      { numRuns: 300 },
    );
  });

  it('decode the same spans to the same model from v2 JSON and from protobuf', () => {
    const lowerHex = (bytes: number): fc.Arbitrary<string> =>
      fc.uint8Array({ minLength: bytes, maxLength: bytes }).filter((b) => b.some((x) => x !== 0)).map((b) => Buffer.from(b).toString('hex'));
    const wireSpan = fc.record(
      {
        traceId: fc.oneof(lowerHex(8), lowerHex(16)),
        id: lowerHex(8),
        parentId: lowerHex(8),
        kind: fc.constantFrom('CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'),
        name: fc.string(),
        timestamp: micros,
        duration: micros,
        localEndpoint: fc.record({ serviceName: fc.string(), ipv4: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) }, { requiredKeys: [] }),
        annotations: fc.array(fc.record({ timestamp: fc.integer({ min: 1, max: MAX_SPAN_MICROS }), value: fc.string({ minLength: 1 }) })),
        tags: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.string()),
        debug: fc.boolean(),
        shared: fc.boolean(),
      },
      { requiredKeys: ['traceId', 'id'] },
    );
    fc.assert(
      fc.property(fc.array(wireSpan, { maxLength: 5 }), (spans) => {
        const proto = ListOfSpans.encode(
          ListOfSpans.fromObject({
            spans: spans.map((s) => ({
              ...s,
              traceId: Buffer.from(s.traceId, 'hex'),
              id: Buffer.from(s.id, 'hex'),
              ...(s.parentId === undefined ? {} : { parentId: Buffer.from(s.parentId, 'hex') }),
              ...(s.localEndpoint === undefined
                ? {}
                : { localEndpoint: { ...s.localEndpoint, ...(s.localEndpoint.ipv4 === undefined ? {} : { ipv4: Uint8Array.from(s.localEndpoint.ipv4.split('.').map(Number)) }) } }),
            })),
          }),
        ).finish();
        const fromProto = decodeSpans(proto, 'proto-v2');
        const fromJson = decodeSpans(JSON.stringify(spans), 'json-v2');
        assert.ok(fromJson.ok, JSON.stringify(fromJson));
        assert.deepEqual(fromProto, fromJson);
      }),
      { numRuns: 300 },
    );
  });
});
