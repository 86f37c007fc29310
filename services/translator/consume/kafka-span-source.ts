import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { consumerCrashLevel } from '../../../shared/edge/kafka/client.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { deliveredRecordOf, type DeliveredRecord } from '../../../shared/core/span-record/record.ts';
import { lagOf, nextOffset } from '../commit/offsets.ts';
import type { ConsumerHealth } from '../health.ts';
import type { TranslatorMetrics } from '../metrics.ts';
import type { BatchControl, BatchHandler, SpanSource } from './span-source.ts';

export interface KafkaSpanSourceOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Partitions handled at once (≥ 2 lets one slow partition not hold the others). */
  readonly partitionsConcurrency: number;
  readonly logger: Logger;
  readonly metrics: TranslatorMetrics;
  readonly health: ConsumerHealth;
  /** Extra kafkajs consumer settings (timeouts); groupId is always `groupId`. */
  readonly consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

/**
 * SpanSource over a kafkajs consumer group. Offsets are resolved and committed only for what the handler
 * reports done (exported, dead-lettered); the rest is fetched again from the last resolved offset.
 */
export class KafkaSpanSource implements SpanSource {
  readonly #o: KafkaSpanSourceOptions;
  readonly #log: Logger;
  #consumer: Consumer | undefined;
  #assigned = new Set<number>();
  #handler: BatchHandler | undefined;
  #rebalancing = false;

  constructor(options: KafkaSpanSourceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'kafka-span-source' });
  }

  async start(handler: BatchHandler): Promise<void> {
    const { kafka, groupId, topic } = this.#o;
    this.#handler = handler;
    const consumer = kafka.consumer({ ...this.#o.consumerConfig, groupId });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = new Set(e.payload.memberAssignment[topic] ?? []);
      this.#revoke([...this.#assigned].filter((p) => !assigned.has(p)));
      this.#assigned = assigned;
      this.#rebalancing = false;
      this.#o.health.joined();
      this.#log.info({ groupId, memberId: e.payload.memberId, isLeader: e.payload.isLeader, partitions: [...assigned].sort((a, b) => a - b) }, 'joined consumer group; partitions assigned');
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.#rebalancing = true;
      this.#log.info({ groupId }, 'consumer group rebalancing');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#log[consumerCrashLevel(e.payload.error, e.payload.restart)]({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.#o.health.crashed(e.payload.error.message);
    });
    handler.attach?.({
      commit: async (partition, offset) => {
        await consumer.commitOffsets([{ topic, partition, offset: nextOffset(offset) }]);
        this.#o.health.committed();
      },
      isStable: () => !this.#rebalancing,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConcurrency,
      eachBatch: (payload) => this.#onBatch(payload, handler),
    });
  }

  async stop(): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    this.#consumer = undefined;
    this.#handler?.detach?.();
    await consumer.stop();
    await consumer.disconnect();
    this.#revoke([...this.#assigned]);
    this.#assigned = new Set();
    this.#o.health.left();
    this.#log.info({ groupId: this.#o.groupId }, 'consumer stopped');
  }

  #revoke(partitions: number[]): void {
    if (partitions.length === 0) return;
    this.#handler?.revoke(partitions);
    this.#o.health.revoked(partitions);
    for (const p of partitions) this.#o.metrics.partitionLag.remove({ topic: this.#o.topic, partition: String(p) });
    this.#log.info({ partitions }, 'partitions revoked');
  }

  async #onBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const { topic, partition } = batch;
    const records: DeliveredRecord[] = batch.messages.map((m) => deliveredRecordOf(m, partition));
    this.#setLag(partition, lagOf(batch.highWatermark, batch.firstOffset() ?? batch.highWatermark));
    const control: BatchControl = {
      heartbeat: () => payload.heartbeat(),
      isActive: () => payload.isRunning() && !payload.isStale(),
    };
    const result = await handler.handle({ topic, partition, records }, control);
    if (result.doneThrough !== undefined) {
      // Commit what is done even when stopping: it was exported. A rebalance error propagates to kafkajs.
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: nextOffset(result.doneThrough) }] }] });
      this.#o.health.committed();
      this.#setLag(partition, lagOf(batch.highWatermark, nextOffset(result.doneThrough)));
    }
    // Held records (the assembly window) are fetched past, not committed: a rebalance redelivers them.
    const through = result.heldThrough ?? result.doneThrough;
    if (through !== undefined) payload.resolveOffset(through);
  }

  #setLag(partition: number, lag: number): void {
    this.#o.health.lag(partition, lag);
    this.#o.metrics.partitionLag.set({ topic: this.#o.topic, partition: String(partition) }, lag);
  }
}
