// decodeBatch: the translator's decode stage (pure): each span with where it came from; an undecodable
// record is a poison record, and its neighbours still decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';
import { decodeBatch, spansAloneOf } from '../../../../../services/translator/decode/decode-batch.ts';
import { hex, listRecordOf, recordOf, spanOf } from '../support.ts';

const now = Date.parse('2026-12-03T16:00:00Z');
const delivered = (record: ReturnType<typeof recordOf>, offset: number): DeliveredRecord => ({ ...record, partition: 0, offset: String(offset) });

test('spans in batch order, each with its record and its index in it; an undecodable record is poison alone', () => {
  const a = spanOf(hex(1, 32), hex(1, 16), now);
  const b = spanOf(hex(2, 32), hex(2, 16), now);
  const c = spanOf(hex(3, 32), hex(3, 16), now);
  const garbage = { ...recordOf(a), value: Buffer.from([0xff, 0xff, 0xff]) };
  const batch = decodeBatch([delivered(recordOf(a), 10), delivered(garbage, 11), delivered(listRecordOf([b, c]), 12)]);
  assert.deepEqual(batch.spans.map((s) => s.id), [a.id, b.id, c.id]);
  assert.deepEqual(batch.recordOfSpan, [0, 2, 2]);
  assert.deepEqual(batch.indexInDelivered, [0, 0, 1]);
  assert.deepEqual(batch.indexInRecord, [0, 0, 1]);
  assert.deepEqual([...batch.poisons.keys()], [1]);
  assert.equal(batch.poisons.get(1)?.code, 'RECORD_UNDECODABLE');
  assert.equal(batch.poisons.get(1)?.spans, undefined, 'the record goes whole');
});

test('spansAloneOf: each span of a span list as a record of its own; undefined for an undecodable record', () => {
  const spans = [spanOf(hex(4, 32), hex(4, 16), now), spanOf(hex(5, 32), hex(5, 16), now)];
  const alone = spansAloneOf(delivered(listRecordOf(spans), 7));
  assert.deepEqual(alone?.map((r) => [r.traceId, r.indexInRecord, r.record.offset]), [[spans[0]?.traceId, 0, '7'], [spans[1]?.traceId, 1, '7']]);
  assert.equal(spansAloneOf(delivered({ ...recordOf(spans[0]!), value: Buffer.from([0xff]) }, 8)), undefined);
});
