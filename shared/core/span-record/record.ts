/**
 * The span-record contract: what the receiver writes to the span topic and every reader (translator,
 * replay, capture, the all-in-one's in-process topic) reads, whatever carries it.
 * - key: the low 64 bits of the Zipkin trace id (16 hex), so the 64- and 128-bit ids of one trace land on
 *   one partition and one translator sees the whole trace;
 * - value: the span Avro-encoded with the current span schema (shared/core/avro);
 * - header SPAN_SCHEMA_HEADER: that schema's fingerprint, so a reader resolves older writers' records;
 * - dead letters: the original key and value, the original headers plus DEAD_LETTER_HEADERS (headers.ts).
 * Pure: no I/O, no clock (record timestamps are inputs).
 */
import { decodeSpan, encodeSpan, SPAN_SCHEMA_FINGERPRINT } from '../avro/span-codec.ts';
import type { Result } from '../result/result.ts';
import { traceIdLow64 } from '../zipkin/trace-id.ts';
import type { Span } from '../zipkin/span.ts';
import { SPAN_SCHEMA_HEADER, stringHeadersOf, type WireHeaders } from './headers.ts';

/** A span-topic record as the receiver writes it and the translator reads it, whatever carries it. */
export interface TopicRecord {
  /** Partitioning key: spanRecordKeyOf(span.traceId). */
  readonly key: string;
  /** Avro-encoded span (shared/core/avro). */
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** A record as delivered to a consumer: where it sits in the topic. */
export interface DeliveredRecord extends TopicRecord {
  readonly partition: number;
  /** Offset as a decimal string, as kafkajs gives it. */
  readonly offset: string;
}

const HEADERS: Readonly<Record<string, string>> = Object.freeze({ [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT });

/** The record key of a span with Zipkin trace id `traceId` (16 or 32 hex): its low 64 bits, 16 hex. */
export function spanRecordKeyOf(traceId: string): string {
  return traceIdLow64(traceId);
}

/** One span → its span-topic record, stamped `timestampMs` (ms since the epoch). */
export function toSpanRecord(span: Span, timestampMs: number): TopicRecord {
  return { key: spanRecordKeyOf(span.traceId), value: encodeSpan(span), headers: HEADERS, timestampMs };
}

/** Spans → span-topic records, all stamped `timestampMs`. */
export function toSpanRecords(spans: readonly Span[], timestampMs: number): TopicRecord[] {
  return spans.map((span) => toSpanRecord(span, timestampMs));
}

/**
 * A span record's value → Span, read with the writer schema its SPAN_SCHEMA_HEADER names (the current
 * schema when absent). Never throws: garbage and unknown schemas come back as issues (a poison record).
 */
export function decodeSpanRecord(record: Pick<TopicRecord, 'value' | 'headers'>): Result<Span> {
  return decodeSpan(record.value, record.headers[SPAN_SCHEMA_HEADER]);
}

/** A fetched record as a Kafka client hands it over (kafkajs `KafkaMessage`: Buffers, string offset and timestamp). */
export interface WireRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: WireHeaders;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
  readonly offset: string;
}

/** A client's fetched record → the DeliveredRecord every SpanSource hands on (an absent key or value: empty). */
export function deliveredRecordOf(message: WireRecord, partition: number): DeliveredRecord {
  return {
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: stringHeadersOf(message.headers),
    timestampMs: Number(message.timestamp),
    partition,
    offset: message.offset,
  };
}
