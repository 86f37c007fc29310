import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptedDocuments } from '../../../../../services/translator/export/accepted-documents.ts';

const T1 = 'aaaaaaaaaaaaaaaa';
const T2 = 'bbbbbbbbbbbbbbbb';
const trace = (n: number): string => n.toString(16).padStart(16, '0');

test('an accepted id is known for its trace only, and only for ttlMs from the trace\'s first accepted document', () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  accepted.accepted(T1, ['0000000000000001', '0000000000000002'], 10_000);
  accepted.accepted(T1, ['0000000000000003', '0000000000000001'], 10_500); // 01 again: counted once
  assert.equal(accepted.size, 3);
  assert.equal(accepted.has(T1, '0000000000000003', 10_999), true);
  assert.equal(accepted.has(T2, '0000000000000002', 10_000), false, 'another trace');
  assert.equal(accepted.has(T1, '0000000000000004', 10_000), false);
  assert.equal(accepted.has(T1, '0000000000000003', 11_000), false, 'forgotten ttlMs after the trace\'s first');
});

test('at most maxIds are remembered: the oldest traces go first, whole', () => {
  const accepted = new AcceptedDocuments({ maxIds: 4, ttlMs: 1000 });
  accepted.accepted(trace(1), ['01', '02'], 0);
  accepted.accepted(trace(2), ['03', '04'], 1);
  assert.equal(accepted.size, 4);
  accepted.accepted(trace(3), ['05'], 2);
  assert.equal(accepted.size, 3, 'trace 1 went for trace 3');
  assert.deepEqual([accepted.has(trace(1), '01', 2), accepted.has(trace(2), '03', 2), accepted.has(trace(3), '05', 2)], [false, true, true]);
});

test('expired traces go when more are accepted, well below the cap; a long run stays bounded', () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  accepted.accepted(trace(1), ['01', '02'], 0);
  accepted.accepted(trace(2), ['03'], 999);
  assert.equal(accepted.size, 3);
  accepted.accepted(trace(3), ['04'], 1500);
  assert.equal(accepted.size, 2, 'trace 1 expired');
  accepted.accepted(trace(4), ['05'], 2600);
  assert.equal(accepted.size, 1, 'traces 2 and 3 expired');
  const bounded = new AcceptedDocuments({ maxIds: 100, ttlMs: 1000 });
  for (let i = 0; i < 10_000; i += 1) bounded.accepted(trace(i), ['01', '02', '03'], i);
  assert.equal(bounded.size, 99);
  assert.equal(bounded.has(trace(9999), '03', 9999), true);
  assert.equal(bounded.has(trace(9966), '01', 9999), false);
});

test('a document in a call not answered yet counts until the call settles, and inFlight gives that call\'s answer (never a rejection)', async () => {
  const accepted = new AcceptedDocuments({ ttlMs: 1000 });
  let fail!: (e: Error) => void;
  const failing = new Promise<never>((_, reject) => { fail = reject; });
  accepted.sending(T1, ['01', '02'], failing);
  accepted.sending(T1, ['01'], Promise.resolve()); // a second call carries it too
  const answer = accepted.inFlight(T1, '02');
  assert.ok(answer !== undefined);
  assert.equal(accepted.inFlight(T2, '02'), undefined, 'another trace\'s document of the same id');
  fail(new Error('throttled'));
  assert.equal(await answer, undefined, 'a failed call is an answer too');
  assert.deepEqual([accepted.has(T1, '01', 0), accepted.has(T1, '02', 0), accepted.has(T2, '01', 0)], [true, true, false]);
  accepted.settled(T1, ['01', '02']);
  assert.deepEqual([accepted.has(T1, '01', 0), accepted.has(T1, '02', 0)], [true, false], 'the other call is still out');
  accepted.settled(T1, ['01']);
  assert.equal(accepted.has(T1, '01', 0), false, 'failed calls leave nothing behind');
  assert.equal(accepted.size, 0);
});
