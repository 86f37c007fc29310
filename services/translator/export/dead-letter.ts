import type { Producer } from 'kafkajs';
import type { ErrorCode } from '../../../shared/errors/index.ts';
import type { DeliveredRecord } from '../../../shared/transport/index.ts';

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

/** Header names a dead-letter record carries besides the original record's own headers. */
export const DEAD_LETTER_HEADERS = {
  reason: 'meshray.dlq.reason',
  code: 'meshray.dlq.error-code',
  topic: 'meshray.dlq.source-topic',
  partition: 'meshray.dlq.source-partition',
  offset: 'meshray.dlq.source-offset',
  attempts: 'meshray.dlq.attempts',
  message: 'meshray.dlq.message',
} as const;

const MAX_MESSAGE_CHARS = 1000;

/** The headers of a dead-letter record: the original ones plus where it came from and why it failed. */
export function deadLetterHeaders(letter: DeadLetter): Record<string, string> {
  return {
    ...letter.record.headers,
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.code]: letter.code,
    [DEAD_LETTER_HEADERS.topic]: letter.topic,
    [DEAD_LETTER_HEADERS.partition]: String(letter.record.partition),
    [DEAD_LETTER_HEADERS.offset]: letter.record.offset,
    [DEAD_LETTER_HEADERS.attempts]: String(letter.attempts),
    [DEAD_LETTER_HEADERS.message]: letter.message.slice(0, MAX_MESSAGE_CHARS),
  };
}

/** Writes the ORIGINAL record value and key to the dead-letter topic (acks from all in-sync replicas). */
export class KafkaDeadLetterSink implements DeadLetterSink {
  readonly #producer: Producer;
  readonly #topic: string;

  /** `producer` is connected and disconnected by the composition root. */
  constructor(options: { producer: Producer; topic: string }) {
    this.#producer = options.producer;
    this.#topic = options.topic;
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#producer.send({
      topic: this.#topic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.record.key,
        value: l.record.value,
        headers: deadLetterHeaders(l),
        timestamp: String(l.record.timestampMs),
      })),
    });
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
