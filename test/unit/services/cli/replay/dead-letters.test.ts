import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterHeaders } from '../../../../../shared/core/span-record/headers.ts';
import type { DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';
import { DEAD_LETTER_TIME_HEADER } from '../../../../../services/translator/export/dead-letter.ts';
import { DeadLetterSummary, deadLetterEntryOf } from '../../../../../services/cli/replay/dead-letters.ts';

const original = { key: 'k', value: Buffer.from('x'), headers: { 'meshray-schema': 'abc' }, timestampMs: Date.UTC(2026, 0, 1), partition: 3, offset: '1200' };
const letter = (reason: string, code: string, time: string, dlqOffset: string): DeliveredRecord => ({
  ...original, partition: 0, offset: dlqOffset,
  headers: { ...deadLetterHeaders({ topic: 'meshray.spans', record: original, code, reason, attempts: 3, message: `${reason}!` }), [DEAD_LETTER_TIME_HEADER]: time },
});

test('a dead letter entry: every fact from the DLQ headers', () => {
  assert.deepEqual(deadLetterEntryOf(letter('InvalidTraceId', 'SEGMENT_REJECTED', '2026-02-01T10:00:00.000Z', '7')), {
    time: '2026-02-01T10:00:00.000Z', reason: 'InvalidTraceId', errorCode: 'SEGMENT_REJECTED', attempts: 3,
    source: { topic: 'meshray.spans', partition: 3, offset: '1200' }, dlq: { partition: 0, offset: '7' }, message: 'InvalidTraceId!',
  });
});

test('a record without dead-letter headers says (unknown), its time is the record timestamp', () => {
  const e = deadLetterEntryOf({ ...original, headers: {} });
  assert.equal(e.reason, '(unknown)');
  assert.equal(e.errorCode, '(unknown)');
  assert.equal(e.attempts, null);
  assert.deepEqual(e.source, { topic: '(unknown)', partition: null, offset: '(unknown)' });
  assert.equal(e.time, '2026-01-01T00:00:00.000Z');
});

test('summary: counts by reason and code, most frequent first, first/last time; empty and singular in words', () => {
  const s = new DeadLetterSummary();
  assert.equal(s.format('meshray.spans.dlq'), 'meshray.spans.dlq: no dead letters in the selection\n');
  s.add(deadLetterEntryOf(letter('avro', 'RECORD_UNDECODABLE', '2026-02-01T10:00:00.000Z', '1')));
  assert.match(s.format('dlq'), /^dlq: 1 dead letter, 1 reason\n/);
  s.add(deadLetterEntryOf(letter('InvalidTraceId', 'SEGMENT_REJECTED', '2026-02-01T09:00:00.000Z', '2')));
  s.add(deadLetterEntryOf(letter('InvalidTraceId', 'SEGMENT_REJECTED', '2026-02-01T11:00:00.000Z', '3')));
  assert.equal(s.format('dlq'), [
    'dlq: 3 dead letters, 2 reasons',
    'reason          error code          records  first                     last',
    'InvalidTraceId  SEGMENT_REJECTED          2  2026-02-01T09:00:00.000Z  2026-02-01T11:00:00.000Z',
    'avro            RECORD_UNDECODABLE        1  2026-02-01T10:00:00.000Z  2026-02-01T10:00:00.000Z',
    '',
  ].join('\n'));
});
