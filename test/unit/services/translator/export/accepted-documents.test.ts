import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptedDocuments } from '../../../../../services/translator/export/accepted-documents.ts';

const T1 = 'aaaaaaaaaaaaaaaa';
const T2 = 'bbbbbbbbbbbbbbbb';

test('an accepted id is known for its trace only, and only for ttlMs', () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  accepted.accepted(T1, ['0000000000000001', '0000000000000002'], 10_000);
  assert.equal(accepted.has(T1, '0000000000000002', 10_999), true);
  assert.equal(accepted.has(T2, '0000000000000002', 10_000), false, 'another trace');
  assert.equal(accepted.has(T1, '0000000000000003', 10_000), false);
  assert.equal(accepted.has(T1, '0000000000000001', 11_000), false, 'forgotten after ttlMs');
});

test('at most maxIds are remembered: the oldest go first, and expired ones go when more are accepted', () => {
  const accepted = new AcceptedDocuments({ maxIds: 3, ttlMs: 1000 });
  accepted.accepted(T1, ['01', '02'], 0);
  accepted.accepted(T1, ['03', '04'], 1);
  assert.equal(accepted.size, 3);
  assert.deepEqual(['01', '02', '03', '04'].map((id) => accepted.has(T1, id, 2)), [false, true, true, true]);
  accepted.accepted(T1, ['02'], 500); // accepted again: it keeps its age
  accepted.accepted(T2, ['05'], 999);
  assert.equal(accepted.size, 3, '02, the oldest, went for 05 (the cap)');
  accepted.accepted(T2, ['06'], 1001); // 03 went for the cap, 04 expired
  assert.equal(accepted.size, 2);
  assert.deepEqual([accepted.has(T2, '05', 1001), accepted.has(T2, '06', 1001), accepted.has(T1, '02', 999)], [true, true, false]);
});

test('expired ids go when more are accepted, well below the cap', () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  accepted.accepted(T1, ['01', '02'], 0);
  accepted.accepted(T1, ['03'], 999);
  assert.equal(accepted.size, 3);
  accepted.accepted(T1, ['04'], 1500);
  assert.equal(accepted.size, 2, '01 and 02 expired');
  accepted.accepted(T1, ['05'], 2600);
  assert.equal(accepted.size, 1, '03 and 04 expired');
});

test('a document in a call not answered yet counts as accepted until the call settles', () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  accepted.sending(T1, ['01', '02']);
  accepted.sending(T1, ['01']); // a second call carries it too
  assert.deepEqual([accepted.has(T1, '01', 0), accepted.has(T1, '02', 0), accepted.has(T2, '01', 0)], [true, true, false]);
  accepted.settled(T1, ['01', '02']);
  assert.deepEqual([accepted.has(T1, '01', 0), accepted.has(T1, '02', 0)], [true, false], 'the other call is still out');
  accepted.settled(T1, ['01']);
  assert.equal(accepted.has(T1, '01', 0), false, 'failed calls leave nothing behind');
  assert.equal(accepted.size, 0);
});
