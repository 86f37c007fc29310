import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, RecordMetadata } from 'kafkajs';
import { unansweredPartitions } from '../../../../../shared/edge/kafka/unanswered-partitions.ts';

const ok = (partition: number, errorCode = 0): RecordMetadata => ({ topicName: 't', partition, errorCode });
const keyed = (n: number): Message[] => Array.from({ length: n }, (_, i) => ({ key: `trace-${i}`, value: 'v' }));

test('every partition written to needs a successful answer; explicit partitions are honoured', () => {
  const messages: Message[] = [{ partition: 0, value: 'a' }, { partition: 3, value: 'b' }, { partition: 3, value: 'c' }];
  assert.deepEqual(unansweredPartitions('t', 6, messages, [ok(0), ok(3)]), []);
  assert.deepEqual(unansweredPartitions('t', 6, messages, [ok(0)]), [3], 'a partition without an answer');
  assert.deepEqual(unansweredPartitions('t', 6, messages, [ok(0), ok(3, 6)]), [3], 'an answer with an error code is no answer');
  assert.deepEqual(unansweredPartitions('t', 6, messages, [ok(0), { ...ok(3), topicName: 'other' }]), [3], 'another topic\'s answer does not count');
  assert.deepEqual(unansweredPartitions('t', 6, messages, []), [0, 3]);
});

test('keyed messages: their murmur2 partitions (the same key always the same partition, within the count)', () => {
  const messages = keyed(200);
  const all = unansweredPartitions('t', 6, messages, []);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5], '200 keys spread over all 6 partitions');
  const one = unansweredPartitions('t', 6, [messages[7] as Message], []);
  assert.equal(one.length, 1);
  assert.deepEqual(unansweredPartitions('t', 6, [messages[7] as Message, messages[7] as Message], []), one, 'deterministic per key');
  assert.deepEqual(unansweredPartitions('t', 6, messages, all.map((p) => ok(p))), []);
});
