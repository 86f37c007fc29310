import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSpanItems } from '../../../../../shared/core/avro/span-codec.ts';
import { recordsByTraceOf } from '../../../../../shared/core/span-record/by-trace.ts';
import { decodeRecordSpans, toSpanListRecord, toSpanRecords, type DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const span = (traceId: string, id: string): Span => ({
  traceId, id, kind: 'SERVER', name: 'get /', timestampMicros: 1_700_000_000_000_000, durationMicros: 1500,
  localEndpoint: { serviceName: 'productpage' }, annotations: [], tags: { 'http.status_code': '200' },
});
const delivered = (r: { key: string; value: Buffer; headers: Readonly<Record<string, string>>; timestampMs: number }): DeliveredRecord => ({ ...r, partition: 2, offset: '7' });
const idsOf = (r: DeliveredRecord): string[] => { const d = decodeRecordSpans(r); assert.ok(d.ok); return d.value.map((s) => s.id); };

test('a span list of several traces becomes one part per trace, keyed by the trace, at the same partition and offset, spans in order', () => {
  const spans = [span('a'.repeat(32), '01'.repeat(8)), span('b'.repeat(16), '02'.repeat(8)), span('a'.repeat(32), '03'.repeat(8))];
  const parts = recordsByTraceOf(delivered(toSpanListRecord([encodeSpanItems(spans)], 3, 42)));
  assert.deepEqual(parts.map((p) => [p.key, p.partition, p.offset, p.timestampMs, idsOf(p)]), [
    ['a'.repeat(16), 2, '7', 42, ['01'.repeat(8), '03'.repeat(8)]],
    ['b'.repeat(16), 2, '7', 42, ['02'.repeat(8)]],
  ]);
  assert.deepEqual(parts.map((p) => p.sourceSpanIndexes), [[0, 2], [1]], 'each span\'s index in the list as written');
});

test('a span list of one trace keeps its value and gets the trace as key; a v1 record and an undecodable list stay as they are', () => {
  const list = delivered(toSpanListRecord([encodeSpanItems([span('c'.repeat(16), '01'.repeat(8))])], 1, 0));
  const [one, ...more] = recordsByTraceOf(list);
  assert.deepEqual(more, []);
  assert.equal(one?.key, 'c'.repeat(16));
  assert.equal(one?.value, list.value);
  const [v1] = toSpanRecords([span('d'.repeat(16), '01'.repeat(8))], 0);
  assert.ok(v1);
  assert.deepEqual(recordsByTraceOf(delivered(v1)), [delivered(v1)]);
  const garbage = delivered({ ...list, value: Buffer.from([0x05, 0xff]) });
  assert.deepEqual(recordsByTraceOf(garbage), [garbage]);
});

test('the parts of a list hold the bytes of their spans as written, the headers of the record unchanged (nothing re-encoded)', () => {
  const spans = [span('a'.repeat(32), '01'.repeat(8)), { ...span('b'.repeat(16), '02'.repeat(8)), tags: { x: 'é' }, debug: true }, span('a'.repeat(32), '03'.repeat(8))];
  const list = delivered(toSpanListRecord([encodeSpanItems(spans)], 3, 42));
  const parts = recordsByTraceOf(list);
  const [s0, s1, s2] = spans;
  assert.ok(s0 && s1 && s2);
  assert.deepEqual(parts.map((p) => p.value), [
    toSpanListRecord([encodeSpanItems([s0, s2])], 2, 42).value,
    toSpanListRecord([encodeSpanItems([s1])], 1, 42).value,
  ]);
  for (const p of parts) assert.deepEqual(p.headers, list.headers);
  const truncated = delivered({ ...list, value: list.value.subarray(0, list.value.length - 3) });
  assert.deepEqual(recordsByTraceOf(truncated), [truncated]);
});
