import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { KafkaDeadLetterSink, cutUtf8, sendsWithin, type DeadLetter } from '../../../../../services/translator/export/dead-letter.ts';
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

test('after a failed send the next goes through a new producer (connected first), as the receiver\'s does; the old one is disconnected', async () => {
  const made: { producer: Producer; sent: ProducerRecord[]; connects: number; disconnects: number }[] = [];
  let failNext = true;
  const make = (): Producer => {
    const entry = { producer: undefined as unknown as Producer, sent: [] as ProducerRecord[], connects: 0, disconnects: 0 };
    entry.producer = {
      connect: async () => { entry.connects += 1; },
      disconnect: async () => { entry.disconnects += 1; },
      send: async (record: ProducerRecord): Promise<RecordMetadata[]> => {
        entry.sent.push(record);
        if (failNext) { failNext = false; throw new Error('Closed connection'); }
        return [...new Set(record.messages.map((m) => m.partition ?? -1))].map((partition) => ({ topicName: record.topic, partition, errorCode: 0 }));
      },
    } as unknown as Producer;
    made.push(entry);
    return entry.producer;
  };
  const sink = new KafkaDeadLetterSink({ producer: make(), newProducer: make, topic: 'dlq', partitions: () => 3 });
  await assert.rejects(sink.send(letters.slice(0, 4)), /Closed connection/);
  assert.equal(made.length, 2, 'replaced at once');
  assert.equal(made[0]?.disconnects, 1);
  await sink.send(letters.slice(0, 6));
  assert.equal(made[1]?.connects, 1, 'the new producer connects before its first send');
  assert.equal(made[1]?.sent[0]?.messages.length, 6);
  await sink.send(letters.slice(6, 8));
  assert.equal(made.length, 2, 'no replacement after a good send');
  assert.equal(made[1]?.connects, 1);
  await sink.close();
  assert.equal(made[1]?.disconnects, 1);
});

test('sendsWithin cuts letters, in order, where one partition\'s bytes would pass the limit; other partitions ride along; an oversized letter goes alone', () => {
  const m = (partition: number, bytes: number, key: string) => ({ partition, key, value: Buffer.alloc(bytes) });
  // messageBytes: 64 of framing + key (1 byte) + value
  const messages = [m(0, 436, 'a'), m(1, 935, 'b'), m(0, 436, 'c'), m(0, 436, 'd'), m(0, 5000, 'e'), m(1, 10, 'f')];
  const sends = sendsWithin(messages, 1000);
  assert.deepEqual(sends.map((s) => s.map((x) => x.key)), [['a', 'b'], ['c'], ['d'], ['e', 'f']]);
  assert.deepEqual(sendsWithin(messages, 1_000_000).map((s) => s.length), [6], 'under the limit: one send');
  assert.deepEqual(sendsWithin([], 1000), []);
});

test('cutUtf8 makes a message at least N bytes shorter, never inside a character, marked; a message too short to cut is dropped, never lengthened', () => {
  const text = 'é'.repeat(100); // 200 bytes
  for (const n of [1, 7, 50, 193]) {
    const cut = cutUtf8(text, n);
    assert.ok(Buffer.byteLength(cut) <= 200 - n, `${n}: ${Buffer.byteLength(cut)} bytes`);
    assert.match(cut, /^é* \[cut\]$/, String(n));
  }
  assert.equal(cutUtf8(text, 194), '', 'the mark alone would not fit');
  assert.equal(cutUtf8('abc', 1), '', 'a short message is dropped, not made longer');
  assert.equal(cutUtf8('', 1), '');
});
