import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UncommittedRecords } from '../../../../../services/translator/commit/uncommitted.ts';

test('deliveries count per record until committed; accepted documents are remembered per record', () => {
  const u = new UncommittedRecords();
  assert.equal(u.delivered(0, '5'), 1);
  assert.equal(u.delivered(0, '5'), 2);
  assert.equal(u.delivered(1, '5'), 1, 'partitions apart');
  u.accepted(0, '5', 'a');
  u.accepted(0, '6', 'b');
  assert.equal(u.wasAccepted(0, '5', 'a'), true);
  assert.equal(u.wasAccepted(0, '5', 'b'), false);
  u.committed(0, '5');
  assert.equal(u.delivered(0, '5'), 1, 'forgotten once committed');
  assert.equal(u.wasAccepted(0, '5', 'a'), false);
  assert.equal(u.wasAccepted(0, '6', 'b'), true, 'later offsets kept');
  assert.equal(u.delivered(1, '5'), 2);
});

test('a revoked partition is forgotten whole, others kept', () => {
  const u = new UncommittedRecords();
  u.delivered(0, '1');
  u.accepted(0, '1', 'a');
  u.accepted(2, '1', 'c');
  u.revoked([0]);
  assert.equal(u.delivered(0, '1'), 1);
  assert.equal(u.wasAccepted(0, '1', 'a'), false);
  assert.equal(u.wasAccepted(2, '1', 'c'), true);
});

test('a failure is kept until the record recovers, is committed, or its partition is delivered again after a revoke', () => {
  const u = new UncommittedRecords();
  const failure = { code: 'SPAN_UNTRANSLATABLE' as const, reason: 'no_timestamp', message: 'm', attempts: 1 };
  u.failed(0, '5', failure);
  u.failed(0, '6', failure);
  u.failed(1, '9', failure);
  assert.ok(u.hasFailures(0));
  u.recovered(0, '5', new Set(['t1']));
  assert.equal(u.failureOf(0, '5'), undefined, 'translated on a later delivery: no failure');
  u.committed(0, '6');
  assert.equal(u.hasFailures(0), false);
  u.revoked([1]);
  assert.deepEqual(u.failureOf(1, '9'), failure, 'a stop revokes: the shutdown still asks for it');
  u.delivering(1);
  assert.equal(u.failureOf(1, '9'), undefined, 'delivered again after the revoke: what it knew is stale');
});

test('a span-list record\'s parts (the assembly window delivers its traces apart) count their own deliveries and keep their own failures', () => {
  const u = new UncommittedRecords();
  assert.deepEqual([u.delivered(0, '7', 'ta'), u.delivered(0, '7', 'ta'), u.delivered(0, '7', 'tb'), u.delivered(0, '7')], [1, 2, 1, 1]);
  const span = (traceId: string, index: number, attempts: number) => ({ index, traceId, reason: 'no_timestamp', message: 'm', attempts });
  u.failed(0, '7', { code: 'SPAN_UNTRANSLATABLE', reason: 'no_timestamp', message: 'm', attempts: 2, spans: [span('ta', 1, 2), span('tb', 0, 1)] });
  u.recovered(0, '7', new Set(['tc'])); // a clean part of another trace
  assert.equal(u.failureOf(0, '7')?.spans?.length, 2);
  u.recovered(0, '7', new Set(['ta']));
  assert.deepEqual(u.failureOf(0, '7')?.spans, [span('tb', 0, 1)], 'trace ta passed: tb still fails');
  u.recovered(0, '7', new Set(['tb']));
  assert.equal(u.failureOf(0, '7'), undefined);
});
