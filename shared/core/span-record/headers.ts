/**
 * The headers of meshray's span topic and dead-letter topic: part of the span-record contract (see
 * record.ts). Header values are UTF-8 strings. Pure: no I/O, no clock.
 */
import type { DeliveredRecord } from './record.ts';

/** Names the writer schema of a span record's Avro value: its CRC-64-AVRO fingerprint, 16 hex digits. */
export const SPAN_SCHEMA_HEADER = 'meshray-schema';

/** Header names a dead-letter record carries besides the original record's own headers. */
export const DEAD_LETTER_HEADERS = {
  /** Finer reason: the X-Ray error code, the translator's rejection reason, `avro`. Bounded set. */
  reason: 'meshray.dlq.reason',
  /** The meshray error code (shared/edge/errors catalogue). */
  code: 'meshray.dlq.error-code',
  topic: 'meshray.dlq.source-topic',
  partition: 'meshray.dlq.source-partition',
  /** Decimal offset of the original record in its source partition. */
  offset: 'meshray.dlq.source-offset',
  /**
   * Index of the span within its source span-list record (v2); absent when the source held one span. The
   * dead letter's value is that span alone (a v1 record value), never its neighbours.
   */
  spanIndex: 'meshray.dlq.source-span-index',
  /** Deliveries of the original record before it was dead-lettered. */
  attempts: 'meshray.dlq.attempts',
  /** Why, for people; cut to DEAD_LETTER_MESSAGE_MAX_CHARS. */
  message: 'meshray.dlq.message',
  /**
   * When the record was dead-lettered (ISO 8601 UTC), stamped by the sink that writes it. The DLQ record's
   * own timestamp stays the original record's, so time selections (`replay --dlq --from`) mean span time.
   */
  time: 'meshray.dlq.time',
  /**
   * Set when the letter carries no value: the original record (this many bytes, decimal) was larger than a
   * dead-letter record may be (Kafka's default record batch limit, 1 MB; only another producer writes such a
   * record to the span topic). Read the original at its source topic, partition and offset while it is retained.
   */
  valueOmittedBytes: 'meshray.dlq.value-omitted-bytes',
} as const;

export const DEAD_LETTER_MESSAGE_MAX_CHARS = 1000;

/** What a dead-letter record says about its original record (the translator's `DeadLetter` fits it). */
export interface DeadLetterOrigin {
  readonly record: DeliveredRecord;
  readonly topic: string;
  readonly code: string;
  readonly reason: string;
  readonly attempts: number;
  readonly message: string;
}

/** The headers of a dead-letter record: the original ones plus where it came from and why it failed. */
export function deadLetterHeaders(letter: DeadLetterOrigin): Record<string, string> {
  return {
    ...letter.record.headers,
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.code]: letter.code,
    [DEAD_LETTER_HEADERS.topic]: letter.topic,
    [DEAD_LETTER_HEADERS.partition]: String(letter.record.partition),
    [DEAD_LETTER_HEADERS.offset]: letter.record.offset,
    [DEAD_LETTER_HEADERS.attempts]: String(letter.attempts),
    [DEAD_LETTER_HEADERS.message]: letter.message.slice(0, DEAD_LETTER_MESSAGE_MAX_CHARS),
  };
}

/**
 * `meshray.spans/3@1200` for a dead-letter record (from its source headers), `meshray.spans/3@1200#4` for span 4
 * of a span-list record; undefined for any other record.
 */
export function deadLetterSourceOf(headers: Readonly<Record<string, string>>): string | undefined {
  const topic = headers[DEAD_LETTER_HEADERS.topic];
  if (topic === undefined) return undefined;
  const span = headers[DEAD_LETTER_HEADERS.spanIndex];
  return `${topic}/${headers[DEAD_LETTER_HEADERS.partition] ?? '?'}@${headers[DEAD_LETTER_HEADERS.offset] ?? '?'}${span === undefined ? '' : `#${span}`}`;
}

/** Record headers as a Kafka client hands them over (kafkajs `IHeaders`): bytes or strings, maybe repeated. */
export type WireHeaders = Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;

/** Wire headers → one UTF-8 string per name (the first value of a repeated header). */
export function stringHeadersOf(headers: WireHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
