/**
 * RangeSpanSource against the real broker: batches aligned to absolute offsets, only the planned ranges,
 * positions that say where a rerun resumes, a handler's failure stops the read, and no group left behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../../shared/edge/kafka/topics.ts';
import { MeshrayError } from '../../../../../shared/edge/errors/index.ts';
import type { RecordBatch } from '../../../../../shared/edge/transport/index.ts';
import { RangeSpanSource } from '../../../../../services/translator/consume/range-span-source.ts';
import type { BatchHandler, BatchResult } from '../../../../../services/translator/consume/span-source.ts';
import { IDEMPOTENT } from '../../../../support/idempotent-producer.ts';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const kafka: Kafka = createKafka({ brokers: parseBrokers(BROKERS), clientId: 'range-span-source-it', logLevel: 'nothing' });
const producer = kafka.producer(IDEMPOTENT);
const admin = kafka.admin();

before(async () => {
  await producer.connect();
  await admin.connect();
  // A broker started for this run creates __consumer_offsets on the first group request; have that done
  // here (as a live cluster has it) rather than inside the source's first join.
  const warm = `it-range-source-warm-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic: warm, numPartitions: 1, replicationFactor: 1 }]);
  await admin.setOffsets({ groupId: warm, topic: warm, partitions: [{ partition: 0, offset: '0' }] });
  await admin.deleteGroups([warm]);
});
after(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

/**
 * A topic with `perPartition` records (values `p<partition>-<offset>`) in each of its `partitions`, dated now:
 * the broker's time retention (7 days) deletes a segment of older records at its next check, mid-test.
 */
async function topicWith(partitions: number, perPartition: number): Promise<string> {
  const topic = `it-range-source-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  const nowMs = Date.now();
  for (let p = 0; p < partitions; p += 1) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition }, (_, o) => ({ partition: p, key: `k${o}`, value: `p${p}-${o}`, timestamp: String(nowMs + o) })) });
  }
  return topic;
}

/** Collects every batch; `answer` decides the result (default: all done). */
function collecting(answer?: (batch: RecordBatch) => BatchResult): { handler: BatchHandler; batches: RecordBatch[] } {
  const batches: RecordBatch[] = [];
  return {
    batches,
    handler: {
      handle: async (batch) => {
        batches.push(batch);
        return answer?.(batch) ?? { doneThrough: batch.records[batch.records.length - 1]?.offset as string };
      },
      revoke: () => undefined,
    },
  };
}

test('reads exactly the planned ranges, in batches aligned to multiples of batchRecords; positions reach the ends', { timeout: 60_000 }, async () => {
  const topic = await topicWith(2, 12);
  const source = new RangeSpanSource({ kafka, topic, ranges: [{ partition: 0, startOffset: 3, endOffset: 11 }, { partition: 1, startOffset: 0, endOffset: 0 }], batchRecords: 4, idleTimeoutMs: 20_000 });
  const { handler, batches } = collecting();
  await source.read(handler);
  assert.deepEqual(batches.map((b) => [b.topic, b.partition, b.records.map((r) => r.offset)]), [
    [topic, 0, ['3']], [topic, 0, ['4', '5', '6', '7']], [topic, 0, ['8', '9', '10']],
  ]);
  assert.equal(batches[1]?.records[0]?.value.toString(), 'p0-4');
  assert.equal(batches[1]?.records[0]?.key, 'k4');
  assert.deepEqual(source.positions, [{ partition: 0, next: 11, startOffset: 3, endOffset: 11 }, { partition: 1, next: 0, startOffset: 0, endOffset: 0 }]);
  const { groups } = await admin.listGroups();
  assert.deepEqual(groups.filter((g) => g.groupId === source.groupId), [], 'the throwaway group is deleted');
});

test('a range longer than one fetch is read to its end (every fetch after the first returned the first slice again, and replay never ended)', { timeout: 90_000 }, async () => {
  const topic = `it-range-source-long-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const value = 'x'.repeat(1024);
  const total = 1500; // ≈ 1.5 MiB: more than kafkajs fetches of a partition at once (maxBytesPerPartition, 1 MiB)
  for (let first = 0; first < total; first += 500) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 500 }, (_, i) => ({ partition: 0, key: `k${first + i}`, value })) });
  }
  const source = new RangeSpanSource({ kafka, topic, ranges: [{ partition: 0, startOffset: 0, endOffset: total }], batchRecords: 100, idleTimeoutMs: 20_000 });
  const { handler, batches } = collecting();
  await source.read(handler);
  const offsets = batches.flatMap((b) => b.records.map((r) => Number(r.offset)));
  assert.equal(offsets.length, total);
  assert.deepEqual(offsets, Array.from({ length: total }, (_, i) => i), 'each record once, in order');
  assert.deepEqual(source.positions, [{ partition: 0, next: total, startOffset: 0, endOffset: total }]);
});

test('a batch the handler does not finish stops the read with its failure; positions say where to resume', { timeout: 60_000 }, async () => {
  const topic = await topicWith(1, 10);
  const source = new RangeSpanSource({ kafka, topic, ranges: [{ partition: 0, startOffset: 0, endOffset: 10 }], batchRecords: 4, idleTimeoutMs: 20_000 });
  const failure = new MeshrayError('XRAY_UNAVAILABLE', '2 documents not accepted after retries (partition 0, first at offset 6): down');
  // The second batch (4-7) is done through 5 only.
  const { handler, batches } = collecting((b) => (b.records[0]?.offset === '4' ? { doneThrough: '5', failure } : { doneThrough: b.records[b.records.length - 1]?.offset as string }));
  await source.start(handler);
  await assert.rejects(source.finished(), (e) => e === failure);
  assert.deepEqual(batches.map((b) => b.records.map((r) => r.offset).join(',')), ['0,1,2,3', '4,5,6,7']);
  assert.deepEqual(source.positions, [{ partition: 0, next: 6, startOffset: 0, endOffset: 10 }]);
});
