import { Partitioners, type Message, type PartitionMetadata, type RecordMetadata } from 'kafkajs';

const partitionOf = Partitioners.DefaultPartitioner();

/**
 * Partitions of `topic` (with `numPartitions`) that `messages` were sent to but for which a kafkajs
 * `send`/`sendBatch` result (`answers`) holds no successful RecordMetadata.
 *
 * Why: kafkajs 2.2.4 (src/producer/sendMessages.js) keeps one response per broker across retries. When a
 * partition's leader moves, during a send, to a broker that already answered for other partitions, the retry
 * skips that broker and the send resolves without ever writing the moved partition's messages. A broker
 * rolling restart does exactly that (test/failover). A caller that gets a non-empty answer here must
 * send those messages again. Partitions are computed like every meshray producer does (the Java client's
 * murmur2 `Partitioners.DefaultPartitioner` over the message key; an explicit `message.partition` wins).
 */
export function unansweredPartitions(topic: string, numPartitions: number, messages: readonly Message[], answers: readonly RecordMetadata[]): number[] {
  const written = new Set(withPartitions(topic, numPartitions, messages).map((m) => m.partition));
  const answered = new Set(answers.filter((a) => a.topicName === topic && a.errorCode === 0).map((a) => a.partition));
  return [...written].filter((p) => !answered.has(p)).sort((a, b) => a - b);
}

/**
 * `messages` each with its `partition` set: an explicit one kept, else the one the producers' partitioner
 * gives its key among `numPartitions`. A producer that sends these writes exactly the partitions
 * `unansweredPartitions` then checks, whatever the topic's real partition count.
 */
export function withPartitions(topic: string, numPartitions: number, messages: readonly Message[]): (Message & { partition: number })[] {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: Math.max(1, numPartitions) }, (_, partitionId) => ({
    partitionId, leader: 0, partitionErrorCode: 0, replicas: [], isr: [],
  }));
  return messages.map((message) => ({ ...message, partition: message.partition ?? partitionOf({ topic, partitionMetadata, message }) }));
}
