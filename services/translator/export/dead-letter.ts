import type { Producer } from 'kafkajs';
import { MeshrayError, type ErrorCode } from '../../../shared/edge/errors/index.ts';
import { unansweredPartitions, withPartitions } from '../../../shared/edge/kafka/unanswered-partitions.ts';
import { DEAD_LETTER_HEADERS, deadLetterHeaders } from '../../../shared/core/span-record/headers.ts';
import type { DeliveredRecord } from '../../../shared/core/span-record/record.ts';

/** An original span record that will never become an accepted segment document, and why. */
export interface DeadLetter {
  readonly topic: string;
  readonly record: DeliveredRecord;
  readonly code: ErrorCode;
  /** Finer reason: the X-Ray error code, the translator's rejection reason, `avro`. Bounded set. */
  readonly reason: string;
  readonly attempts: number;
  readonly message: string;
}

/** Port: where dead letters go. Resolves once they are durably written; throws otherwise. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

/** When a record was dead-lettered (ISO 8601 UTC): the span-record contract's `DEAD_LETTER_HEADERS.time`. */
export const DEAD_LETTER_TIME_HEADER = DEAD_LETTER_HEADERS.time;

/**
 * Writes the ORIGINAL record value and key to the dead-letter topic (acks from all in-sync replicas), with
 * the dead-letter headers of the span-record contract (shared/core/span-record/headers.ts).
 *
 * Like the receiver's publisher it checks that kafkajs's answer covers every partition written
 * (shared/edge/kafka/unanswered-partitions.ts: kafkajs 2.2.4 can resolve a send without writing a partition
 * whose leader moved): otherwise `send` throws PUBLISH_FAILED and the batch is redelivered, so a record is
 * never committed as dead-lettered without being in the DLQ. Each message's partition is set explicitly
 * (the key's murmur2 partition among `partitions()`), so the partitions checked are the ones written.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  #producer: Producer;
  /** The producer was replaced after a failed send and is not connected yet. */
  #renewed = false;
  readonly #newProducer: (() => Producer) | undefined;
  readonly #topic: string;
  readonly #partitions: () => number;
  readonly #now: () => number;

  /**
   * `producer` is connected by the composition root, and disconnected by it through `close()`;
   * `newProducer` (idempotent producers) makes the one that replaces it after a failed send, as the
   * receiver's publisher does (services/receiver/publish/kafka-span-publisher.ts renewProducer: kafkajs gives
   * sequence numbers back for requests Kafka may have written, and a redelivered batch's letters sent
   * under them could be acknowledged as duplicates without being written); `partitions`: the DLQ topic's
   * partition count (once known; default 1); `now` stamps DEAD_LETTER_TIME_HEADER.
   */
  constructor(options: { producer: Producer; newProducer?: () => Producer; topic: string; partitions?: () => number; now?: () => number }) {
    this.#producer = options.producer;
    this.#newProducer = options.newProducer;
    this.#topic = options.topic;
    this.#partitions = options.partitions ?? (() => 1);
    this.#now = options.now ?? Date.now;
  }

  /** Disconnects the current producer (flushes nothing: every send was awaited). */
  async close(): Promise<void> {
    await this.#producer.disconnect();
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      if (this.#renewed) {
        await this.#producer.connect();
        this.#renewed = false;
      }
      await this.#write(letters);
    } catch (err) {
      this.#renew();
      throw err;
    }
  }

  #renew(): void {
    if (this.#newProducer === undefined) return;
    const old = this.#producer;
    this.#producer = this.#newProducer();
    this.#renewed = true;
    void old.disconnect().catch(() => undefined);
  }

  async #write(letters: readonly DeadLetter[]): Promise<void> {
    const time = new Date(this.#now()).toISOString();
    const partitions = this.#partitions();
    const messages = withPartitions(this.#topic, partitions, letters.map((l) => ({
      key: l.record.key,
      value: l.record.value,
      headers: { ...deadLetterHeaders(l), [DEAD_LETTER_TIME_HEADER]: time },
      timestamp: String(l.record.timestampMs),
    })));
    const answers = await this.#producer.send({ topic: this.#topic, acks: -1, messages });
    const unanswered = unansweredPartitions(this.#topic, partitions, messages, answers);
    if (unanswered.length > 0) {
      throw new MeshrayError('PUBLISH_FAILED', `kafkajs answered without writing partitions ${unanswered.join(',')} of the dead-letter topic ${this.#topic} (their leader moved during the send); the batch is redelivered`);
    }
  }
}

/** The all-in-one's dead-letter sink: keeps the most recent `maxRecords` letters in memory. */
export class InProcessDeadLetterSink implements DeadLetterSink {
  readonly #maxRecords: number;
  readonly #letters: DeadLetter[] = [];
  #dropped = 0;

  constructor(options: { maxRecords: number }) {
    this.#maxRecords = Math.max(1, options.maxRecords);
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    this.#letters.push(...letters);
    const excess = this.#letters.length - this.#maxRecords;
    if (excess > 0) {
      this.#letters.splice(0, excess);
      this.#dropped += excess;
    }
  }

  /** The letters held, oldest first. */
  get letters(): readonly DeadLetter[] {
    return this.#letters;
  }

  /** Letters pushed out by newer ones. */
  get dropped(): number {
    return this.#dropped;
  }
}
