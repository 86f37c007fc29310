/** Kafka plumbing for e2e tests: the broker from KAFKA_BROKERS (scripts/run-tests.mjs starts a real one). */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../shared/edge/kafka/topics.ts';
import { waitFor } from '../../support/wait.ts';

export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

export function testKafka(clientId = 'e2e-backbone'): Kafka {
  return createKafka({ brokers: parseBrokers(KAFKA_BROKERS), clientId, logLevel: 'nothing' });
}

/** Topic, DLQ topic and group names no other test (or earlier run) uses. */
export function uniqueNames(test: string): { spansTopic: string; dlqTopic: string; groupId: string } {
  const tag = `${test}-${randomUUID().slice(0, 8)}`;
  return { spansTopic: `e2e-${tag}-spans`, dlqTopic: `e2e-${tag}-dlq`, groupId: `e2e-${tag}-translators` };
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  await ensureTopics(kafka, [{ topic, numPartitions, replicationFactor: 1 }]);
}

export type TestNames = ReturnType<typeof uniqueNames>;

/** A client, names of this test's own (uniqueNames) and its span topic, created with `numPartitions`. */
export async function testTopic(test: string, numPartitions = 6): Promise<{ kafka: Kafka; names: TestNames }> {
  const kafka = testKafka();
  const names = uniqueNames(test);
  await createTopic(kafka, names.spansTopic, numPartitions);
  return { kafka, names };
}

export interface PartitionProgress {
  readonly partition: number;
  readonly end: number;
  readonly committed: number;
}

/** End offset and the group's committed offset (-1 → 0) per partition. */
export async function groupProgress(kafka: Kafka, groupId: string, topic: string): Promise<PartitionProgress[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.map((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition);
      return { partition: e.partition, end: Number(e.high), committed: Math.max(0, Number(c?.offset ?? -1)) };
    }).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Total records not yet committed by the group. */
export const lagOf = (progress: readonly PartitionProgress[]): number => progress.reduce((s, p) => s + Math.max(0, p.end - p.committed), 0);

/** Waits until the group committed every record of the topic (lag 0). */
export async function waitCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs: number): Promise<PartitionProgress[]> {
  let last: PartitionProgress[] = [];
  return waitFor(`group ${groupId} to commit all of ${topic}`, timeoutMs, async () => {
    last = await groupProgress(kafka, groupId, topic);
    return last.length > 0 && lagOf(last) === 0 ? last : undefined;
  }, { intervalMs: 500, describe: () => JSON.stringify(last) });
}

