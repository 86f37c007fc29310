import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { KafkaDeadLetterSink, type DeadLetter } from '../../../../../services/translator/export/dead-letter.ts';
import { isMeshrayError } from '../../../../../shared/edge/errors/index.ts';

const letter = (key: string, offset: string): DeadLetter => ({
  topic: 'spans',
  record: { partition: 2, offset, key, value: Buffer.from(`v${offset}`), headers: {}, timestampMs: 1_700_000_000_000 },
  code: 'SPAN_UNTRANSLATABLE',
  reason: 'invalid',
  attempts: 3,
  message: 'bad span',
});
const letters = Array.from({ length: 40 }, (_, i) => letter(`trace-${i}`, String(i)));

/** A kafkajs Producer stand-in: records each send and answers for the partitions `answer` picks. */
function producer(answer: (written: number[]) => number[]): { producer: Producer; sent: ProducerRecord[] } {
  const sent: ProducerRecord[] = [];
  const send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    sent.push(record);
    const written = [...new Set(record.messages.map((m: Message) => m.partition ?? -1))].sort((a, b) => a - b);
    return answer(written).map((partition) => ({ topicName: record.topic, partition, errorCode: 0 }));
  };
  return { producer: { send } as unknown as Producer, sent };
}

test('every dead letter is sent to an explicit partition (its key\'s, among the DLQ\'s partitions), acks from all in-sync replicas', async () => {
  const { producer: p, sent } = producer((written) => written);
  await new KafkaDeadLetterSink({ producer: p, topic: 'dlq', partitions: () => 3 }).send(letters);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.acks, -1);
  const partitions = sent[0]?.messages.map((m) => m.partition) ?? [];
  assert.equal(partitions.length, 40);
  assert.deepEqual([...new Set(partitions)].sort(), [0, 1, 2], '40 keys over the 3 partitions');
  const again = producer((written) => written);
  await new KafkaDeadLetterSink({ producer: again.producer, topic: 'dlq', partitions: () => 3 }).send(letters);
  assert.deepEqual(again.sent[0]?.messages.map((m) => m.partition), partitions, 'the same key, the same partition');
});

test('a send kafkajs resolves without answering for a partition written is a PUBLISH_FAILED (the batch is redelivered)', async () => {
  const { producer: p } = producer((written) => written.slice(1)); // the leader of the first one moved
  await assert.rejects(new KafkaDeadLetterSink({ producer: p, topic: 'dlq', partitions: () => 3 }).send(letters), (e: unknown) => {
    assert.ok(isMeshrayError(e));
    assert.equal(e.code, 'PUBLISH_FAILED');
    assert.match(e.message, /without writing partitions 0 of the dead-letter topic dlq/);
    return true;
  });
});

test('a single-partition DLQ (the default count) and no letters', async () => {
  const { producer: p, sent } = producer((written) => written);
  const sink = new KafkaDeadLetterSink({ producer: p, topic: 'dlq' });
  await sink.send([]);
  assert.equal(sent.length, 0, 'nothing to send: no request');
  await sink.send(letters.slice(0, 5));
  assert.deepEqual(sent[0]?.messages.map((m) => m.partition), [0, 0, 0, 0, 0]);
  const silent = producer(() => []);
  await assert.rejects(new KafkaDeadLetterSink({ producer: silent.producer, topic: 'dlq' }).send(letters.slice(0, 1)), /partitions 0 of the dead-letter topic/);
});
