import type { Message, Producer } from 'kafkajs';
import { MeshrayError, type ErrorCode } from '../../../shared/edge/errors/index.ts';
import { unansweredPartitions, withPartitions } from '../../../shared/edge/kafka/unanswered-partitions.ts';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_MESSAGE_MAX_CHARS, deadLetterHeaders } from '../../../shared/core/span-record/headers.ts';
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
 * Largest letter bytes of one partition in one send. kafkajs writes a partition's messages of a send as one
 * record batch, and the broker applies `message.max.bytes` (1,048,588 bytes by default) to the whole batch:
 * a batch's letters in one send (3,000 timestamp-less spans of one trace, two spans with 600 KB tags, to the
 * default one-partition DLQ) was refused with MESSAGE_TOO_LARGE on every redelivery, and the partition never
 * moved again. The same bound as the receiver's (services/receiver/publish/record-limits.ts MAX_BATCH_PARTITION_BYTES).
 */
export const MAX_SEND_PARTITION_BYTES = 768 * 1024;

/**
 * Largest letter (messageBytes): Kafka's default `message.max.bytes` (1,048,588 bytes for a whole record batch)
 * less the batch's framing (61 bytes) and a margin. A letter past it has its message header cut (the receiver's
 * largest span, MAX_SPAN_BYTES, then fits with every other header). A record larger than that, which only another
 * producer writes to the span topic, goes without its value (withoutValue): refused on every redelivery, it
 * stalled its partition for good.
 */
export const MAX_LETTER_BYTES = 1_048_588 - 512;

/**
 * `text` at least `bytes` UTF-8 bytes shorter, cut from its end (never inside a character) and marked ` [cut]`;
 * '' when not even the mark fits (the mark must not make a short text longer: found by the second diff review).
 */
export function cutUtf8(text: string, bytes: number): string {
  const mark = ' [cut]';
  const room = Buffer.byteLength(text) - bytes - Buffer.byteLength(mark);
  if (room <= 0) return '';
  const keep = Buffer.from(text).subarray(0, room);
  // a cut inside a character decodes it as U+FFFD: drop that too
  return `${keep.toString('utf8').replace(/\uFFFD$/, '')}${mark}`;
}

/**
 * The letter of a record too large to dead-letter whole: its headers, key and timestamp, no value, the value's size
 * in `DEAD_LETTER_HEADERS.valueOmittedBytes`, and a message that says where the original is.
 */
function withoutValue<M extends Message>(message: M, source: string): M {
  const bytes = byteLengthOf(message.value);
  const headers = message.headers as Record<string, string>;
  const why = `the record (${bytes} bytes) is larger than a dead-letter record may be (${MAX_LETTER_BYTES} bytes): its value is left out; read it at ${source} while that topic retains it`;
  const original = headers[DEAD_LETTER_HEADERS.message] ?? '';
  const stubHeaders: Record<string, string> = {
    ...headers,
    [DEAD_LETTER_HEADERS.valueOmittedBytes]: String(bytes),
    [DEAD_LETTER_HEADERS.message]: (original === '' ? why : `${why}; ${original}`).slice(0, DEAD_LETTER_MESSAGE_MAX_CHARS),
  };
  return { ...message, value: null, headers: stubHeaders };
}

/** A message's bytes in a record batch, near enough: key, value, header keys and values, and 64 for framing. */
function messageBytes(m: Message): number {
  let bytes = 64 + byteLengthOf(m.key) + byteLengthOf(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) bytes += Buffer.byteLength(k) + (Array.isArray(v) ? v.reduce((n: number, x) => n + byteLengthOf(x), 0) : byteLengthOf(v));
  return bytes;
}

function byteLengthOf(v: Buffer | string | null | undefined): number {
  return v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/**
 * `messages` (each with its partition set) cut, in order, into sends that each hold at most `maxPartitionBytes`
 * of any one partition (by messageBytes). A message larger than that goes alone (at most MAX_LETTER_BYTES: the
 * sink cuts a longer one's message header).
 */
export function sendsWithin<M extends Message & { partition: number }>(messages: readonly M[], maxPartitionBytes: number): M[][] {
  const sends: M[][] = [];
  let current: M[] = [];
  let bytes = new Map<number, number>();
  for (const m of messages) {
    const size = messageBytes(m);
    const held = bytes.get(m.partition) ?? 0;
    if (held > 0 && held + size > maxPartitionBytes) {
      sends.push(current);
      current = [];
      bytes = new Map();
    }
    current.push(m);
    bytes.set(m.partition, (bytes.get(m.partition) ?? 0) + size);
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/**
 * Writes the ORIGINAL record value and key to the dead-letter topic (acks from all in-sync replicas), with
 * the dead-letter headers of the span-record contract (shared/core/span-record/headers.ts).
 *
 * Like the receiver's publisher it checks that kafkajs's answer covers every partition written
 * (shared/edge/kafka/unanswered-partitions.ts: kafkajs 2.2.4 can resolve a send without writing a partition
 * whose leader moved): otherwise `send` throws PUBLISH_FAILED and the batch is redelivered, so a record is
 * never committed as dead-lettered without being in the DLQ. Each message's partition is set explicitly
 * (the key's murmur2 partition among `partitions()`), so the partitions checked are the ones written. Letters
 * go in as many sends as keep each partition's record batch under Kafka's size limit (sendsWithin); a send that
 * fails after earlier ones succeeded redelivers the batch, and its earlier letters are written again (at least once).
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
    const messages = withPartitions(this.#topic, partitions, letters.map((l) => {
      const headers: Record<string, string> = { ...deadLetterHeaders(l), [DEAD_LETTER_TIME_HEADER]: time };
      const message = { key: l.record.key, value: l.record.value, headers, timestamp: String(l.record.timestampMs) };
      // The largest span a receiver publishes (MAX_SPAN_BYTES) with a long message header passed the broker's limit:
      // refused on every redelivery (found by the diff review). Its message is cut to what fits.
      const over = messageBytes(message) - MAX_LETTER_BYTES;
      if (over <= 0) return message;
      const original = headers[DEAD_LETTER_HEADERS.message] ?? '';
      headers[DEAD_LETTER_HEADERS.message] = cutUtf8(original, over);
      if (messageBytes(message) <= MAX_LETTER_BYTES) return message;
      // Even without its message the record is too large: only another producer writes such a record to the span topic.
      headers[DEAD_LETTER_HEADERS.message] = original;
      return withoutValue(message, `${l.topic}/${l.record.partition}@${l.record.offset}`);
    }));
    for (const send of sendsWithin(messages, MAX_SEND_PARTITION_BYTES)) {
      const answers = await this.#producer.send({ topic: this.#topic, acks: -1, messages: send });
      const unanswered = unansweredPartitions(this.#topic, partitions, send, answers);
      if (unanswered.length > 0) {
        throw new MeshrayError('PUBLISH_FAILED', `kafkajs answered without writing partitions ${unanswered.join(',')} of the dead-letter topic ${this.#topic} (their leader moved during the send); the batch is redelivered`);
      }
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
