import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSpanItems } from '../../../../../shared/core/avro/span-codec.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { MAX_RECORD_BYTES, MAX_SPAN_BYTES, isRecordError, withinRecordBytes } from '../../../../../services/receiver/publish/record-limits.ts';

const span = (i: number, tagBytes: number): Span => ({
  traceId: '463ac35c9f6413ad', id: (i + 1).toString(16).padStart(16, '0'), name: 'get', timestampMicros: 1_700_000_000_000_000, durationMicros: 10,
  localEndpoint: { serviceName: 'productpage' }, annotations: [], tags: { payload: 'x'.repeat(tagBytes) },
});

test('a partition\'s spans over MAX_RECORD_BYTES are cut into records of at most MAX_RECORD_BYTES, keeping every span in order', () => {
  const spans = Array.from({ length: 40 }, (_, i) => span(i, 20_000)); // ≈ 800 KB encoded
  const pieces = withinRecordBytes(spans);
  assert.ok(pieces.length >= 4, `${pieces.length} pieces`);
  for (const p of pieces) assert.ok(p.items.length <= MAX_RECORD_BYTES, `${p.items.length} bytes`);
  assert.deepEqual(pieces.flatMap((p) => p.spans.map((s) => s.id)), spans.map((s) => s.id));
  assert.deepEqual(Buffer.concat(pieces.map((p) => p.items)), encodeSpanItems(spans));
});

test('small groups stay one record; a single span over MAX_RECORD_BYTES stays alone (the publisher refuses it past MAX_SPAN_BYTES)', () => {
  const small = [span(0, 100), span(1, 100)];
  assert.equal(withinRecordBytes(small).length, 1);
  const huge = span(2, MAX_RECORD_BYTES + 10);
  const [alone] = withinRecordBytes([huge]);
  assert.ok(alone !== undefined && alone.items.length > MAX_RECORD_BYTES && alone.items.length < MAX_SPAN_BYTES);
});

test('record errors are told by kafkajs error type, through its wrapping errors', () => {
  const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
  assert.equal(isRecordError(tooLarge), true);
  assert.equal(isRecordError(Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: tooLarge })), true);
  assert.equal(isRecordError(Object.assign(new Error('leader'), { type: 'NOT_LEADER_FOR_PARTITION' })), false);
});
