/**
 * What a stopping `meshray stack` waits for, against the real broker: the records of the span topic its translators'
 * group has not committed (a partition never committed counts from its low watermark), and a wait that ends once
 * they are committed, at its bound, or at a second Ctrl-C, saying what is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTopics } from '../../../../../../shared/edge/kafka/topics.ts';
import { drainTranslators, uncommittedRecords } from '../../../../../../services/cli/commands/stack/drain.ts';
import { kafkaTestClient } from '../../../../../support/kafka-test-client.ts';

const { brokers: BROKERS, kafka, producer, admin, unique } = kafkaTestClient('stack-drain');

/** A topic with 3 records in partition 0 and 2 in partition 1, and a group that committed nothing yet. */
async function topicAndGroup(): Promise<{ topic: string; groupId: string }> {
  const topic = unique('topic');
  await ensureTopics(kafka, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
  for (const [partition, count] of [[0, 3], [1, 2]] as const) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ partition, value: `p${partition}-${i}` })) });
  }
  return { topic, groupId: `${topic}-group` };
}

test('uncommittedRecords: every record when the group committed nothing; the rest of each partition after its commits', { timeout: 60_000 }, async () => {
  const { topic, groupId } = await topicAndGroup();
  assert.equal(await uncommittedRecords(admin, topic, groupId), 5);
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
  assert.equal(await uncommittedRecords(admin, topic, groupId), 3, '1 left in partition 0, 2 in partition 1');
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '2' }] });
  assert.equal(await uncommittedRecords(admin, topic, groupId), 0);
  await admin.deleteGroups([groupId]);
});

test('drainTranslators: 0 at once, without a word, when everything is committed; else it waits, says so, and at its bound says what the broker takes with it', { timeout: 60_000 }, async () => {
  const { topic, groupId } = await topicAndGroup();
  const said: string[] = [];
  const never = new Promise<void>(() => undefined);
  const left = await drainTranslators({ brokers: BROKERS, topic, groupId, timeoutMs: 3000, intervalMs: 100, skip: never, say: (line) => said.push(line) });
  assert.equal(left, 5);
  assert.deepEqual(said, [
    `waiting for the translators to export and commit 5 record(s) of ${topic} before the broker is deleted (at most 3 s; Ctrl-C again ends the wait). To keep the topic's spans, run now in another terminal, and let it finish before this wait ends (no second Ctrl-C): meshray capture --brokers ${BROKERS} --topic ${topic} --all --format ndjson --output spans.ndjson (meshray send spans.ndjson sends them again)`,
    `5 record(s) of ${topic} were not committed by the translators and are deleted with the broker`,
  ]);

  // Committed while it waits: it returns as soon as it sees that.
  said.length = 0;
  const waiting = drainTranslators({ brokers: BROKERS, topic, groupId, timeoutMs: 30_000, intervalMs: 100, skip: never, say: (line) => said.push(line) });
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '2' }] });
  assert.equal(await waiting, 0);
  assert.equal(said.length <= 1, true, said.join('\n'));
  said.length = 0;
  assert.equal(await drainTranslators({ brokers: BROKERS, topic, groupId, timeoutMs: 30_000, skip: never, say: (line) => said.push(line) }), 0);
  assert.deepEqual(said, []);
  await admin.deleteGroups([groupId]);
});

test('drainTranslators ends at a second Ctrl-C, before its bound', { timeout: 60_000 }, async () => {
  const { topic, groupId } = await topicAndGroup();
  let skip!: () => void;
  const skipped = new Promise<void>((resolve) => { skip = resolve; });
  const said: string[] = [];
  const waiting = drainTranslators({ brokers: BROKERS, topic, groupId, timeoutMs: 600_000, intervalMs: 100, skip: skipped, say: (line) => { said.push(line); skip(); } });
  assert.equal(await waiting, 5);
  assert.equal(said.length, 2, said.join('\n'));
  assert.match(said[1] ?? '', /^5 record\(s\) of .* were not committed by the translators and are deleted with the broker$/);
});

test('drainTranslators against a broker that does not answer ends and says so, without an answer', { timeout: 30_000 }, async () => {
  const said: string[] = [];
  const left = await drainTranslators({ brokers: '127.0.0.1:1', topic: 't', groupId: 'g', timeoutMs: 1500, skip: new Promise<void>(() => undefined), say: (line) => said.push(line) });
  assert.equal(left, undefined);
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0] ?? '', /^(the broker did not say what the translators committed in time|could not ask the broker what the translators committed)/);
});
