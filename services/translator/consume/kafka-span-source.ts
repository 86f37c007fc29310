import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { consumerCrashLevel } from '../../../shared/edge/kafka/client.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { fullJitterDelayMs, type BackoffPolicy } from '../../../shared/edge/resilience/backoff.ts';
import { sleepMs } from '../../../shared/edge/resilience/clock.ts';
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
  /**
   * How long a consumer that crashed or stopped on its own may take to join the group again before it is
   * replaced by a new one (default 60 s). A crash kafkajs will not restart (`restart: false`) is replaced
   * at once.
   */
  readonly rejoinTimeoutMs?: number;
  /** Delay between attempts to build a new consumer (full jitter; default 250 ms doubling to 10 s). */
  readonly rebuildBackoff?: BackoffPolicy;
  readonly random?: () => number;
}

const DEFAULT_REJOIN_TIMEOUT_MS = 60_000;

/**
 * Disconnects a replaced consumer that came back to life: kafkajs (2.2.4 src/consumer/index.js onCrash) can
 * be restarting one while it is disconnected, and sets its restart timer only after emitting CRASH, so the
 * disconnect runs on the next turn, where it clears that timer. Its batches are never handled.
 */
function retire(consumer: Consumer): void {
  setImmediate(() => { void consumer.disconnect().catch(() => undefined); });
}
const DEFAULT_REBUILD_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 10_000 };

/**
 * SpanSource over a kafkajs consumer group. Offsets are resolved and committed only for what the handler
 * reports done (exported, dead-lettered); the rest is fetched again from the last resolved offset.
 *
 * Supervised (issue 10): kafkajs consumers can crash for good (CRASH with `restart: false`), stop on their
 * own (STOP that `stop()` did not ask for; kafkajs also stops before restarting after a crash), or restart
 * and never rejoin after a broker restart (kafkajs issues #1002, #1378 class). Each interrupts the
 * source: health turns unready at once, its partitions are revoked, and a consumer that does not join again
 * within `rejoinTimeoutMs` (at once for `restart: false`) is disconnected and replaced by a new one, with
 * backoff between attempts, without restarting the process. `consumer_rebuilds` counts replacements.
 */
export class KafkaSpanSource implements SpanSource {
  readonly #o: KafkaSpanSourceOptions;
  readonly #log: Logger;
  #consumer: Consumer | undefined;
  #assigned = new Set<number>();
  #handler: BatchHandler | undefined;
  #stopping = false;
  #rejoinTimer: NodeJS.Timeout | undefined;
  #rebuilding: Promise<void> | undefined;
  #rebuilds = 0;
  #rebalancing = false;
  /** partition → what its lag is computed from: the high watermark of its last fetch and the position committed. */
  readonly #positions = new Map<number, { highWatermark: string; committed: string }>();

  constructor(options: KafkaSpanSourceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'kafka-span-source' });
  }

  /** Consumers replaced since start. */
  get rebuilds(): number {
    return this.#rebuilds;
  }

  async start(handler: BatchHandler): Promise<void> {
    this.#handler = handler;
    this.#stopping = false;
    await this.#launch(handler);
  }

  async #launch(handler: BatchHandler): Promise<void> {
    const { kafka, groupId, topic } = this.#o;
    // never created by subscribing (the broker's partition count would break keying by trace id): the receiver creates it
    const consumer = kafka.consumer({ ...this.#o.consumerConfig, groupId, allowAutoTopicCreation: false });
    this.#consumer = consumer;
    const current = (): boolean => this.#consumer === consumer && !this.#stopping;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (!current()) return retire(consumer);
      clearTimeout(this.#rejoinTimer);
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
    consumer.on(consumer.events.STOP, () => {
      if (current()) this.#interrupt(consumer, 'consumer stopped by kafkajs', false);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#log[consumerCrashLevel(e.payload.error, e.payload.restart)]({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (current()) this.#interrupt(consumer, `consumer crashed (${e.payload.restart ? 'kafkajs restarts it' : 'kafkajs gave up'}): ${e.payload.error.message}`, !e.payload.restart);
      else retire(consumer);
    });
    handler.attach?.({
      commit: async (partition, offset) => {
        await consumer.commitOffsets([{ topic, partition, offset: nextOffset(offset) }]);
        this.#o.health.committed(partition, nextOffset(offset));
        this.#committed(partition, nextOffset(offset));
      },
      isStable: () => !this.#rebalancing,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConcurrency,
      eachBatch: async (payload) => (current() ? this.#onBatch(payload, handler) : retire(consumer)),
    });
  }

  /** Unready now; rebuild now (`rebuildNow`) or if `consumer` has not joined again within rejoinTimeoutMs. */
  #interrupt(consumer: Consumer, reason: string, rebuildNow: boolean): void {
    this.#o.health.interrupted(reason);
    this.#revoke([...this.#assigned]);
    this.#assigned = new Set();
    clearTimeout(this.#rejoinTimer);
    if (rebuildNow) {
      this.#rebuild(consumer, reason);
      return;
    }
    const timeoutMs = this.#o.rejoinTimeoutMs ?? DEFAULT_REJOIN_TIMEOUT_MS;
    this.#rejoinTimer = setTimeout(() => this.#rebuild(consumer, `${reason}; not rejoined within ${timeoutMs} ms`), timeoutMs);
    this.#rejoinTimer.unref();
  }

  /** Disconnects `old` (if still the current consumer) and launches a new one, retrying with backoff until one runs or stop(). */
  #rebuild(old: Consumer, reason: string): void {
    if (this.#rebuilding !== undefined) {
      // the consumer being launched crashed already: replace it too once the launch is over
      void this.#rebuilding.then(() => this.#rebuild(old, reason));
      return;
    }
    if (this.#consumer !== old || this.#stopping) return;
    const handler = this.#handler;
    if (handler === undefined) return;
    this.#log.warn({ groupId: this.#o.groupId, reason }, 'replacing the consumer');
    this.#consumer = undefined; // its STOP on disconnect is ours
    this.#rebuilding = (async () => {
      await old.disconnect().catch((err: unknown) => this.#log.warn({ err }, 'old consumer did not disconnect cleanly'));
      for (let attempt = 1; !this.#stopping; attempt += 1) {
        try {
          await this.#launch(handler);
          this.#rebuilds += 1;
          this.#o.metrics.consumerRebuilds.inc();
          this.#log.info({ groupId: this.#o.groupId, attempt }, 'consumer replaced');
          return;
        } catch (err) {
          const consumer = this.#consumer;
          await consumer?.disconnect().catch(() => undefined);
          const delayMs = fullJitterDelayMs(attempt, this.#o.rebuildBackoff ?? DEFAULT_REBUILD_BACKOFF, this.#o.random ?? Math.random);
          this.#log.warn({ err, attempt, delayMs }, 'could not replace the consumer yet');
          await sleepMs(delayMs);
        }
      }
    })().finally(() => { this.#rebuilding = undefined; });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#rejoinTimer);
    await this.#rebuilding;
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
    for (const p of partitions) {
      this.#positions.delete(p);
      this.#o.metrics.partitionLag.remove({ topic: this.#o.topic, partition: String(p) });
    }
    this.#log.info({ partitions }, 'partitions revoked');
  }

  async #onBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const { topic, partition } = batch;
    const records: DeliveredRecord[] = batch.messages.map((m) => deliveredRecordOf(m, partition));
    this.#fetched(partition, batch.highWatermark, batch.firstOffset() ?? batch.highWatermark);
    const control: BatchControl = {
      heartbeat: () => payload.heartbeat(),
      isActive: () => payload.isRunning() && !payload.isStale(),
    };
    const result = await handler.handle({ topic, partition, records }, control);
    if (result.doneThrough !== undefined) {
      // Commit what is done even when stopping: it was exported. A rebalance error propagates to kafkajs.
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: nextOffset(result.doneThrough) }] }] });
      this.#o.health.committed(partition, nextOffset(result.doneThrough));
      this.#committed(partition, nextOffset(result.doneThrough));
    }
    // Held records (the assembly window) are fetched past, not committed: a rebalance redelivers them.
    const through = result.heldThrough ?? result.doneThrough;
    if (through !== undefined) payload.resolveOffset(through);
  }

  /**
   * A fetch: its high watermark is the partition's latest. Before this consumer committed in the partition,
   * the batch's first offset stands for the committed position (a fetch starts there). So it does when the
   * partition's offsets started over (the topic deleted and created again: a fetch never starts before the
   * position committed, nor does a log end below it otherwise), or the gauge would read 0 until the new topic
   * passed the old position.
   */
  #fetched(partition: number, highWatermark: string, firstOffset: string): void {
    const known = this.#positions.get(partition);
    const startedOver = known !== undefined && (BigInt(firstOffset) < BigInt(known.committed) || BigInt(highWatermark) < BigInt(known.committed));
    this.#positions.set(partition, { highWatermark, committed: known === undefined || startedOver ? firstOffset : known.committed });
    this.#setLag(partition);
  }

  /**
   * A commit, from a batch or from outside one (the assembly window's timer, when no batch may come): the
   * lag is the last fetch's high watermark minus the position committed, so it reaches 0 without a fetch.
   * A commit resolving after a later one does not move the position back.
   */
  #committed(partition: number, position: string): void {
    const known = this.#positions.get(partition);
    if (known === undefined) return; // revoked meanwhile, or never fetched: no lag to tell
    if (BigInt(position) > BigInt(known.committed)) known.committed = position;
    this.#setLag(partition);
  }

  /** Lag = records of the partition not yet committed: high watermark of the last fetch − committed position. */
  #setLag(partition: number): void {
    const known = this.#positions.get(partition);
    if (known === undefined) return;
    const lag = lagOf(known.highWatermark, known.committed);
    this.#o.health.lag(partition, lag);
    this.#o.metrics.partitionLag.set({ topic: this.#o.topic, partition: String(partition) }, lag);
  }
}
