import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { describeTopicError, kafkaErrorTypeOf } from '../../../shared/edge/kafka/describe-error.ts';

export interface SpanTopicWatchOptions {
  /** Its own client, with a few retries (each connect tries a seed broker at random): the next round is the retry. */
  readonly kafka: Kafka;
  readonly topic: string;
  /** SPANS_TOPIC_CHECK_INTERVAL: ms between two Metadata requests. */
  readonly intervalMs: number;
  /** The partition count spans are keyed over now. */
  readonly partitions: number;
  /** Called with the new count when the topic's partitions changed (raised, or the topic created again). */
  readonly onPartitions: (partitions: number) => void;
  readonly logger: Logger;
}

/**
 * Watches the span topic while the receiver runs: every `intervalMs`, one Metadata request for it (kafkajs
 * admin `fetchTopicMetadata`; admin clients never create topics).
 * - Its partitions raised (`kafka-topics.sh --alter --partitions`): spans are keyed over the new count from
 *   then on (`onPartitions`; spanPartitionOf), logged once. Every receiver had to be restarted for that, and
 *   until then the new partitions stayed empty. A trace whose spans straddle the change may land in two
 *   partitions, as with a restart. Kafka never lowers a count in place, so a lower one means the topic was deleted and
 *   created again: spans are keyed over it too (before, they stayed keyed to partitions that no longer
 *   existed, and the receiver refused every POST until restarted).
 * - No answer, or the topic gone: `problem` says so until a round succeeds; the receiver's readiness takes it
 *   only while it sends nothing (main.ts): an idle receiver stayed ready until a request found Kafka gone.
 */
export class SpanTopicWatch {
  readonly #o: SpanTopicWatchOptions;
  readonly #log: Logger;
  #partitions: number;
  #problem: string | undefined;
  /** A count lower than `#partitions` seen in the last round, not yet confirmed by a second. */
  #lowerSeen: number | undefined;
  #admin: Admin | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SpanTopicWatchOptions) {
    this.#o = options;
    this.#partitions = options.partitions;
    this.#log = options.logger.child({ component: 'span-topic-watch' });
  }

  /** undefined while the last round had an answer, else why not (for readiness). */
  get problem(): string | undefined {
    return this.#problem;
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /**
   * Stops watching at once: a round in flight is not waited for (against a broker that accepts but never
   * answers it took 30 s, which held the receiver's shutdown drain past its pod's grace period); its admin
   * client is disconnected, so the round fails and ends on its own.
   */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const admin = this.#admin;
    this.#admin = undefined;
    void admin?.disconnect().catch(() => undefined);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.#check().finally(() => { if (!this.#stopped) this.#schedule(); });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const { topic } = this.#o;
    try {
      let admin = this.#admin;
      if (admin === undefined) {
        admin = this.#o.kafka.admin();
        this.#admin = admin;
        await admin.connect();
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (this.#stopped) return;
      const partitions = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (partitions === 0) throw new Error(`span topic ${topic} has no partitions in the brokers' metadata`);
      if (this.#problem !== undefined) this.#log.info({ topic }, 'Kafka answers again');
      this.#problem = undefined;
      // A lower count is taken only when two rounds in a row see it: brokers' metadata catches up
      // asynchronously, so right after a raise one broker may still answer the old count (review).
      const lower = partitions < this.#partitions;
      const confirmed = !lower || this.#lowerSeen === partitions;
      this.#lowerSeen = lower ? partitions : undefined;
      if (partitions !== this.#partitions && confirmed) {
        this.#lowerSeen = undefined;
        const why = partitions > this.#partitions ? '' : ' (fewer: the topic was deleted and created again, as Kafka never lowers a count)';
        this.#log.warn({ topic, from: this.#partitions, to: partitions }, `${topic} now has ${partitions} partitions${why}: spans are keyed over ${partitions} from now on`);
        this.#partitions = partitions;
        this.#o.onPartitions(partitions);
      }
    } catch (error) {
      if (this.#stopped) return;
      const message = kafkaErrorTypeOf(error) === 'UNKNOWN_TOPIC_OR_PARTITION'
        ? `span ${describeTopicError(error, topic)}` // Kafka did answer: the topic is gone
        : `Kafka did not answer a metadata request for span topic ${topic}: ${(error as Error).message}`;
      if (this.#problem === undefined) this.#log.warn({ topic, err: error }, message);
      this.#problem = message;
      const admin = this.#admin;
      this.#admin = undefined; // a new connection next round
      await admin?.disconnect().catch(() => undefined);
    }
  }
}
