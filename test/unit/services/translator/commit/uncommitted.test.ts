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
