/**
 * The quick size bounds translateToOtlp packs and checks the 200 KB limit with must never be short: for
 * random spans (any Unicode, JSON-escaped characters, long values, events), `json` ≥ the span's OTLP/JSON
 * UTF-8 bytes and `proto` ≥ its protobuf bytes (encoded with the separately loaded opentelemetry-proto).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { anyText } from '../../../../support/arbitraries.ts';
import protobuf from 'protobufjs';
import { sizeBounds } from '../../../../../shared/core/otlp/fit.ts';
import type { KeyValue, OtlpSpan } from '../../../../../shared/core/otlp/index.ts';

const protoDir = fileURLToPath(new URL('../../../../../shared/core/otlp/proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => `${protoDir}${target}`;
root.loadSync('opentelemetry/proto/trace/v1/trace.proto');
const SpanType = root.lookupType('opentelemetry.proto.trace.v1.Span');

const text = anyText({ maxLength: 300 });
const keyValue: fc.Arbitrary<KeyValue> = fc.oneof(
  fc.record({ key: text, value: fc.record({ stringValue: text }) }),
  fc.record({ key: text, value: fc.record({ intValue: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String) }) }),
  fc.record({ key: text, value: fc.record({ arrayValue: fc.record({ values: fc.array(fc.record({ stringValue: text }), { maxLength: 3 }) }) }) }),
) as fc.Arbitrary<KeyValue>;

const nanos = fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String);
const spanArb: fc.Arbitrary<OtlpSpan> = fc.record({
  traceId: fc.constant('65e1c3f0a1b2c3d4e5f60718293a4b5c'),
  spanId: fc.constant('1111111111111111'),
  parentSpanId: fc.constant('2222222222222222'),
  flags: fc.integer({ min: 0, max: 0x3ff }),
  name: text,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes: fc.array(keyValue, { maxLength: 12 }),
  droppedAttributesCount: fc.nat({ max: 1000 }),
  events: fc.array(fc.record({ timeUnixNano: nanos, name: text, attributes: fc.array(keyValue, { maxLength: 3 }) }), { maxLength: 3 }),
  droppedEventsCount: fc.nat({ max: 1000 }),
  status: fc.oneof(fc.record({ code: fc.constantFrom(0, 1) }), fc.record({ code: fc.constant(2), message: text })),
});

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

it('bounds a span from above, in JSON and in protobuf', () => {
  fc.assert(
    fc.property(spanArb, (span) => {
      const bounds = sizeBounds(span);
      assert.ok(bounds.json >= utf8Bytes(JSON.stringify(span)), 'json bound');
      const proto = SpanType.encode(SpanType.fromObject({
        ...span,
        traceId: Buffer.from(span.traceId, 'hex'),
        spanId: Buffer.from(span.spanId, 'hex'),
        parentSpanId: Buffer.from(span.parentSpanId ?? '', 'hex'),
      })).finish().length;
      assert.ok(bounds.proto >= proto, `proto bound ${bounds.proto} < ${proto}`);
    }),
    { numRuns: 300, seed: 12 },
  );
});
