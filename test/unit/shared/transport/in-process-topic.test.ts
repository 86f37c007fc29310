import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessTopic } from '../../../../shared/transport/in-process-topic.ts';
import { partitionForKey } from '../../../../shared/transport/partition.ts';

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

test('waitForRecords wakes on append', async () => {
  const t = new InProcessTopic({ name: 't', partitions: 2, maxRecords: 10 });
  const waiting = t.waitForRecords(5000);
  t.append([rec('x')]);
  await waiting;
  assert.equal(t.size, 1);
});
