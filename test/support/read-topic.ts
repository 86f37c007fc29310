/**
 * Reads a real Kafka topic for integration and e2e tests: the records are collected first and returned,
 * so a test asserts on them afterwards (an assertion inside kafkajs's `eachMessage` would only surface as a
 * timeout). Reading stops at the topic's end offsets, so "exactly one" really means no other record.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { stringHeadersOf } from '../../shared/core/span-record/headers.ts';
import { waitFor } from './wait.ts';

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** High watermark (the next offset to be written) per partition of `topic`. */
async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `topic` holds at least `minRecords` records, takes its end offsets at that moment, and reads
 * every partition from the beginning to its end offset with a throwaway consumer group. Records come back
 * in partition then offset order. Throws after `timeoutMs` (either phase), saying how far it got.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, options: { minRecords?: number; timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const minRecords = options.minRecords ?? 0;
  let ends = new Map<number, { low: number; high: number }>();
  const held = () => [...ends.values()].reduce((n, p) => n + p.high - p.low, 0);
  await waitFor(`${minRecords} records on ${topic}`, timeoutMs, async () => {
    ends = await endOffsets(kafka, topic);
    return held() >= minRecords;
  }, { intervalMs: 100, describe: () => `${held()} held` });
  const records: ReadRecord[] = [];
  const reached = new Map<number, number>();
  const done = () => [...ends].every(([partition, { low, high }]) => high <= low || (reached.get(partition) ?? -1) >= high - 1);
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset >= (ends.get(partition)?.high ?? 0)) return; // written after the end we read to
        records.push({ partition, offset: message.offset, key: message.key?.toString(), value: message.value ?? Buffer.alloc(0), headers: stringHeadersOf(message.headers) });
        reached.set(partition, Math.max(reached.get(partition) ?? -1, offset));
      },
    });
    await waitFor(`${topic} read to its end offsets`, timeoutMs, done, { intervalMs: 50, describe: () => `${records.length} of ${held()} read` });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}
