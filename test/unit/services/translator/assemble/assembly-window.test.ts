import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssemblyWindow } from '../../../../../services/translator/assemble/assembly-window.ts';
import type { DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';

const settings = { idleMs: 5500, maxAgeMs: 30_000, maxSpans: 1000 };
const rec = (key: string, offset: number, partition = 0): DeliveredRecord => ({ key, value: Buffer.from(key), headers: {}, timestampMs: 0, partition, offset: String(offset) });
const offsetsOf = (records: readonly DeliveredRecord[]) => records.map((r) => Number(r.offset));

test('a trace is due ASSEMBLY_IDLE after its last span, with all its records in offset order', () => {
  const w = new AssemblyWindow(settings);
  assert.equal(w.offer(rec('a', 0), 0), 'held');
  assert.equal(w.offer(rec('b', 1), 0), 'held');
  assert.equal(w.offer(rec('a', 2), 1000), 'held');
  assert.deepEqual(w.takeDue(5499), []);
  assert.deepEqual(w.takeDue(5500).map((d) => [d.key, d.reason, offsetsOf(d.records)]), [['b', 'idle', [1]]]);
  assert.deepEqual(w.takeDue(6499), []);
  assert.deepEqual(w.takeDue(6500).map((d) => [d.key, d.reason, offsetsOf(d.records)]), [['a', 'idle', [0, 2]]]);
  assert.deepEqual([w.traceCount(), w.spans, w.oldestAgeMs(6500)], [0, 0, 0]);
});

test('a trace that keeps growing is due ASSEMBLY_MAX_AGE after its first span', () => {
  const w = new AssemblyWindow(settings);
  for (let i = 0; i < 30; i += 1) w.offer(rec('a', i), i * 1000);
  assert.deepEqual(w.takeDue(29_999), []);
  assert.deepEqual(w.takeDue(30_000).map((d) => [d.reason, d.records.length]), [['max_age', 30]]);
});

test('over ASSEMBLY_MAX_SPANS the oldest traces are flushed first, down to 90 % of the bound', () => {
  const w = new AssemblyWindow({ ...settings, maxSpans: 5 });
  ['a', 'b', 'c'].forEach((key, i) => { w.offer(rec(key, 2 * i, 0), i); w.offer(rec(key, 2 * i + 1, 0), i); });
  assert.equal(w.spans, 6);
  assert.deepEqual(w.takeDue(10).map((d) => [d.key, d.reason]), [['a', 'pressure']], '6 → 4 spans, under 4.5');
  assert.equal(w.spans, 4);
  assert.deepEqual(w.takeDue(11), [], 'under the bound: nothing');
});

test('the commit point stays below the lowest record held or in export, and never inside a trace exported together', () => {
  const w = new AssemblyWindow(settings);
  w.offer(rec('a', 0), 0);
  w.offer(rec('b', 1), 3000);
  w.offer(rec('a', 2), 0);
  w.offer(rec('c', 3), 3000);
  assert.equal(w.commitPoint(0), undefined, 'offset 0 is held');
  const [a] = w.takeDue(5500);
  assert.deepEqual(offsetsOf(a?.records ?? []), [0, 2]);
  assert.equal(w.commitPoint(0), undefined, 'offset 0 is being exported');
  w.finished(a?.records ?? [], a?.generation ?? 0);
  assert.equal(w.commitPoint(0), undefined, 'through 0 would split trace a (0 and 2) while 1 is held');
  const due = w.takeDue(8500);
  assert.deepEqual(due.map((d) => d.key), ['b', 'c']);
  w.finished(due[0]?.records ?? [], due[0]?.generation ?? 0);
  assert.equal(w.commitPoint(0), '2', 'below c, still in export');
  w.committed(0, '2');
  assert.equal(w.commitPoint(0), undefined);
  w.finished(due[1]?.records ?? [], due[1]?.generation ?? 0);
  assert.equal(w.commitPoint(0), '3');
});

test('a span after its trace left is late (until ASSEMBLY_MAX_AGE); a redelivered one is known', () => {
  const w = new AssemblyWindow(settings);
  w.offer(rec('a', 0), 0);
  const [a] = w.takeDue(5500);
  assert.equal(w.offer(rec('a', 0), 5600), 'known', 'in export');
  w.finished(a?.records ?? [], a?.generation ?? 0);
  assert.equal(w.offer(rec('a', 0), 5700), 'known', 'done, not committed');
  assert.equal(w.offer(rec('a', 1), 6000), 'late');
  assert.equal(w.commitPoint(0), '0', 'the late record is pending');
  w.committed(0, '0');
  assert.equal(w.offer(rec('a', 0), 7000), 'known', 'committed');
  assert.equal(w.offer(rec('a', 2), 5500 + 30_000), 'held', 'forgotten after ASSEMBLY_MAX_AGE: a new trace');
});

test('records put back after a failed export are due at once; a revoked partition is forgotten whole', () => {
  const w = new AssemblyWindow(settings);
  w.offer(rec('a', 0), 0);
  w.offer(rec('x', 0, 1), 0);
  const due = w.takeDue(5500);
  assert.equal(due.length, 2);
  for (const d of due) w.putBack(d.records, d.generation, 5600);
  assert.deepEqual(w.takeDue(5601).map((d) => d.reason), ['retry', 'retry']);
  w.offer(rec('b', 1), 6000);
  w.drop([0]);
  assert.deepEqual(w.partitions, [1]);
  assert.equal(w.spans, 0);
  w.putBack([rec('b', 1)], due[0]?.generation ?? 0, 6100);
  assert.deepEqual(w.partitions, [1], 'nothing put back into a revoked partition');
});

test('the parts of one span-list record (one per trace) are held by trace; its offset is done only once every part is', () => {
  const w = new AssemblyWindow(settings);
  assert.deepEqual(w.offerParts([rec('a', 0), rec('b', 0)], 0), ['held', 'held']);
  assert.deepEqual(w.offerParts([rec('b', 1)], 3000), ['held']);
  assert.equal(w.offerParts([rec('a', 0), rec('b', 0)], 3000), 'known', 'a redelivery of a record whose parts are held');
  const [a] = w.takeDue(5500);
  assert.deepEqual([a?.key, offsetsOf(a?.records ?? [])], ['a', [0]]);
  w.finished(a?.records ?? [], a?.generation ?? 0);
  assert.equal(w.commitPoint(0), undefined, 'trace b still holds a part of offset 0');
  const [b] = w.takeDue(8500);
  assert.deepEqual([b?.key, offsetsOf(b?.records ?? [])], ['b', [0, 1]]);
  w.finished(b?.records ?? [], b?.generation ?? 0);
  assert.equal(w.commitPoint(0), '1');
  assert.deepEqual(w.offerParts([rec('a', 2), rec('c', 2)], 9000), ['late', 'held'], 'a left the window: its part is late, c is new');
});

test('in a backlog a trace is due once its partition has been read ASSEMBLY_IDLE of receive time past it, without waiting ASSEMBLY_IDLE of processing', () => {
  const w = new AssemblyWindow(settings);
  const received = (key: string, offset: number, timestampMs: number, partition = 0): DeliveredRecord => ({ ...rec(key, offset, partition), timestampMs });
  const r0 = 1_700_000_000_000;
  // a lag: records received over 8 s are fetched within 10 ms of processing time
  w.offer(received('a', 0, r0), 0);
  w.offer(received('b', 1, r0 + 1000), 1);
  w.offer(received('a', 2, r0 + 2000), 2);
  w.offer(received('c', 3, r0 + 6600), 3);
  w.offer(received('x', 0, r0 + 60_000, 1), 4); // another partition's watermark does not count
  assert.deepEqual(w.takeDue(5).map((d) => [d.key, d.reason, offsetsOf(d.records)]), [['b', 'idle', [1]]], 'b: 5.6 s of receive time past it; a: 4.6 s');
  w.offer(received('d', 4, r0 + 7500), 6);
  assert.deepEqual(w.takeDue(7).map((d) => [d.key, d.reason, offsetsOf(d.records)]), [['a', 'idle', [0, 2]]]);
  assert.deepEqual(w.takeDue(5499).map((d) => d.key), [], 'c, d and x: their partitions moved on less than ASSEMBLY_IDLE');
  assert.deepEqual(w.takeDue(5504).map((d) => d.key).sort(), ['c', 'x'], 'processing-time idleness still applies (a partition gone quiet)');
});

test('records without a Kafka timestamp (0) leave idleness to processing time', () => {
  const w = new AssemblyWindow(settings);
  w.offer(rec('a', 0), 0);
  w.offer({ ...rec('b', 1), timestampMs: 1_700_000_000_000 }, 1);
  assert.deepEqual(w.takeDue(2), [], 'a has no receive time: the watermark says nothing of it');
  assert.deepEqual(w.takeDue(5500).map((d) => d.key), ['a']);
});

test('an export that ends after its partition was revoked and assigned back touches nothing of the new owner\'s', () => {
  const w = new AssemblyWindow(settings);
  assert.deepEqual(w.offerParts([rec('a', 5), rec('b', 5)], 0), ['held', 'held']);
  const [a] = w.takeDue(5500).filter((d) => d.key === 'a');
  assert.ok(a);
  w.drop([0]);
  assert.deepEqual(w.offerParts([rec('c', 4)], 5600), ['held'], 'assigned back: fetched again from the committed offset');
  assert.notEqual(w.generationOf(0), a.generation);
  w.putBack(a.records, a.generation, 5700); // the old export gave up
  assert.deepEqual(w.offerParts([rec('a', 5), rec('b', 5)], 5800), ['held', 'held'], 'the redelivered record is taken whole, not known through a stale part');
  w.finished(a.records, a.generation); // or it succeeded: still the old owner's
  const due = w.takeDue(11_300);
  assert.deepEqual(due.map((d) => d.key).sort(), ['a', 'b', 'c']);
  for (const d of due) if (d.key !== 'b') w.finished(d.records, d.generation);
  assert.equal(w.commitPoint(0), '4', 'offset 5 stays pending while its part of trace b is in export');
});
