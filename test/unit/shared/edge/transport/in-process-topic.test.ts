import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessTopic } from '../../../../../shared/edge/transport/in-process-topic.ts';
import { partitionForKey } from '../../../../../shared/edge/transport/partition.ts';
import { flush } from '../../../../support/mock-time.ts';

const rec = (key: string) => ({ key, value: Buffer.from(key), headers: {}, timestampMs: 1 });

test('same key, same partition, in order; commit frees room', () => {
  const t = new InProcessTopic({ name: 't', partitions: 4, maxRecords: 3 });
  assert.ok(t.append([rec('a'), rec('a')]));
  assert.equal(t.append([rec('b'), rec('c')]), false, 'all or nothing when full');
  assert.equal(t.free, 1);
  const [batch] = t.peek(10);
  assert.ok(batch);
  assert.equal(batch.partition, partitionForKey('a', 4));
  assert.deepEqual(batch.records.map((r) => r.offset), ['0', '1']);
  t.commit(batch.partition, '0');
  assert.equal(t.size, 1);
  assert.deepEqual(t.peek(10)[0]?.records.map((r) => r.offset), ['1']);
});

test('waitForRecords wakes on append at once, not at its timeout (mock timers: no time passes)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const topic = new InProcessTopic({ name: 't', partitions: 2, maxRecords: 10 });
  let woken = false;
  const waiting = topic.waitForRecords(5000).then(() => { woken = true; });
  await flush();
  assert.equal(woken, false, 'nothing to read yet');
  topic.append([rec('x')]);
  await flush();
  assert.equal(woken, true, 'the append woke the reader without any timer firing');
  await waiting;
  assert.equal(topic.size, 1);
});

test('waitForRecords resolves at its timeout when nothing arrives, and at once when records are held', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const topic = new InProcessTopic({ name: 't', partitions: 2, maxRecords: 10 });
  let woken = false;
  void topic.waitForRecords(5000).then(() => { woken = true; });
  t.mock.timers.tick(4999);
  await flush();
  assert.equal(woken, false);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(woken, true);
  topic.append([rec('y')]);
  let immediate = false;
  void topic.waitForRecords(5000).then(() => { immediate = true; });
  await flush();
  assert.equal(immediate, true);
});

test('removeAll takes every uncommitted record, each partition in offset order, and frees the room', () => {
  const t = new InProcessTopic({ name: 't', partitions: 3, maxRecords: 10 });
  assert.ok(t.append([rec('a'), rec('b'), rec('a'), rec('c')]));
  const pa = partitionForKey('a', 3);
  t.commit(pa, '0'); // the first 'a' was exported
  const left = t.removeAll();
  assert.equal(left.length, 3);
  const offsets = left.filter((r) => r.partition === pa).map((r) => Number(r.offset));
  assert.ok(!offsets.includes(0), 'the committed record is not taken');
  assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y), 'offset order within a partition');
  assert.deepEqual(left.map((r) => r.key).sort(), ['a', 'b', 'c']);
  assert.equal(t.size, 0);
  assert.equal(t.free, 10);
  assert.deepEqual(t.peek(10), []);
});
