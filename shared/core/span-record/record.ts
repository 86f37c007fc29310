/**
 * The span-record contract: what the receiver writes to the span topic and every reader (translator,
 * replay, capture, the all-in-one's in-process topic) reads, whatever carries it.
 * - two shapes, told apart by the SPAN_SCHEMA_HEADER fingerprint (shared/core/avro span-schema-history):
 *   v1, one span per record, keyed by the low 64 bits of its trace id (16 hex); v2 (what the receiver writes),
 *   a span list: the spans of one linger window whose traces all map to the record's partition, with NO key
 *   (no single trace describes it) and the partition set explicitly by spanPartitionOf (partition.ts), the
 *   same partition the v1 key gives. Either way one translator sees every span of a trace;
 * - header SPAN_SCHEMA_HEADER: the writer schema's fingerprint, so a reader resolves older writers' records;
 * - dead letters: the original key and value, the original headers plus DEAD_LETTER_HEADERS (headers.ts).
 * Pure: no I/O, no clock (record timestamps are inputs).
 */
import {
  decodeSpan, decodeSpans, encodeSpan, isSpanListFingerprint, spanItemValueOf, spanListValueOf, SPAN_LIST_SCHEMA_FINGERPRINT,
  SPAN_SCHEMA_FINGERPRINT,
} from '../avro/span-codec.ts';
import type { Result } from '../result/result.ts';
import { traceIdLow64 } from '../zipkin/trace-id.ts';
import type { Span } from '../zipkin/span.ts';
import { DEAD_LETTER_HEADERS, SPAN_SCHEMA_HEADER, stringHeadersOf, type WireHeaders } from './headers.ts';

/** A span-topic record as the receiver writes it and the translator reads it, whatever carries it. */
export interface TopicRecord {
  /** v1: spanRecordKeyOf(span.traceId); v2 (span list): '' (no key; the partition is spanPartitionOf's). */
  readonly key: string;
  /** Avro: one span (v1) or a span list (v2), as SPAN_SCHEMA_HEADER says (shared/core/avro). */
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** A record as delivered to a consumer: where it sits in the topic. */
export interface DeliveredRecord extends TopicRecord {
  readonly partition: number;
  /** Offset as a decimal string, as kafkajs gives it. */
  readonly offset: string;
  /**
   * Only on one trace's part of a span list (recordsByTraceOf, by-trace.ts): the index, in the list as written
   * at this offset, of each of the part's spans, so that a dead letter names its span as the record does.
   * Absent: the record is whole (its span i is item i).
   */
  readonly sourceSpanIndexes?: readonly number[] | undefined;
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

const LIST_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [SPAN_SCHEMA_HEADER]: SPAN_LIST_SCHEMA_FINGERPRINT });

/**
 * A span-list record (v2) of `count` spans whose Avro items are `chunks` (encodeSpanItems of spans whose traces
 * all map to the partition it is sent to), stamped `timestampMs`. Its key is '' (send no key).
 */
export function toSpanListRecord(chunks: readonly Buffer[], count: number, timestampMs: number): TopicRecord {
  return { key: '', value: spanListValueOf(chunks, count), headers: LIST_HEADERS, timestampMs };
}

/**
 * A record's spans, whatever its shape (v1: one, v2: its list), read with the writer schema its
 * SPAN_SCHEMA_HEADER names. Never throws: garbage and unknown schemas come back as issues (a poison record).
 */
export function decodeRecordSpans(record: Pick<TopicRecord, 'value' | 'headers'>): Result<Span[]> {
  return decodeSpans(record.value, record.headers[SPAN_SCHEMA_HEADER]);
}

/** The index, in the record as written, of span `spanIndex` of `record` (a trace's part of a list names its own). */
export function sourceSpanIndexOf(record: TopicRecord & { readonly sourceSpanIndexes?: readonly number[] | undefined }, spanIndex: number): number {
  return record.sourceSpanIndexes?.[spanIndex] ?? spanIndex;
}

/**
 * Span `spanIndex` of `record` as a record of its own (its dead-letter identity): a v1 record is itself; the
 * item of a span list becomes a v1 record keyed by its trace, its headers the list's with the v1 fingerprint
 * and DEAD_LETTER_HEADERS.spanIndex (its index in the list as written: sourceSpanIndexOf), at the list's
 * partition and offset. undefined when the item is unreadable.
 */
export function spanAloneRecordOf<R extends TopicRecord & { readonly sourceSpanIndexes?: readonly number[] | undefined }>(
  record: R, spanIndex: number, span: Pick<Span, 'traceId'>,
): R | undefined {
  const fingerprint = record.headers[SPAN_SCHEMA_HEADER];
  if (!isSpanListFingerprint(fingerprint)) return spanIndex === 0 ? record : undefined;
  const value = spanItemValueOf(record.value, fingerprint, spanIndex);
  if (value === undefined) return undefined;
  const headers = { ...record.headers, [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT, [DEAD_LETTER_HEADERS.spanIndex]: String(sourceSpanIndexOf(record, spanIndex)) };
  // a span alone is a whole record (v1): its index is in its header now
  return { ...record, key: spanRecordKeyOf(span.traceId), value, headers, ...(record.sourceSpanIndexes === undefined ? {} : { sourceSpanIndexes: undefined }) };
}

/**
 * A single-span record's value → Span, read with the writer schema its SPAN_SCHEMA_HEADER names (the current
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
