/**
 * What one send of the span publisher may hold, and which Kafka errors come from the records themselves:
 * the record and batch bounds under the broker's `message.max.bytes` (Kafka's default 1,048,588 bytes per
 * record batch), the cut of a request's spans into records, and the error types of kafkajs that decide
 * between dropping the head record and retrying (kafka-span-publisher.ts).
 */
import { encodeSpanItems } from '../../../shared/core/avro/span-codec.ts';
import { kafkaErrorTypesOf } from '../../../shared/edge/kafka/describe-error.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';

/** Largest record value built from chunks (a partition's chunks beyond it start another record): well under Kafka's 1 MB. */
export const MAX_RECORD_BYTES = 256 * 1024;

/**
 * Largest encoded span published (1 MiB less 1 KiB): one span alone larger than this cannot fit a record batch
 * that a broker with Kafka's default `message.max.bytes` (1,048,588 bytes for the whole batch) takes, the batch's
 * framing (61 bytes), the record's and the schema header's (under 100) included. Such a span is refused alone
 * (reason `span_too_large`); sent, it failed its whole request with ACK_MODE=kafka and was dropped with
 * ACK_MODE=buffer. A topic whose `max.message.bytes` is set below the default still refuses smaller ones (dropHead).
 */
export const MAX_SPAN_BYTES = 1024 * 1024 - 1024;

/**
 * Largest span bytes of one partition in one send: kafkajs writes a partition's records of a send as one record
 * batch, and the broker applies `message.max.bytes` (1 MB by default) to the whole batch, not to each record.
 */
export const MAX_BATCH_PARTITION_BYTES = 768 * 1024;

/**
 * A request's spans of one partition as span-list items of at most MAX_RECORD_BYTES each (a 5 MB request of one
 * trace, or to a one-partition topic, made one record over Kafka's 1 MB limit, refused for good: its spans were
 * lost with ACK_MODE=buffer). Almost always one piece; larger ones are cut by span count and cut again if need be.
 */
export function withinRecordBytes(spans: readonly Span[], items = encodeSpanItems(spans)): { items: Buffer; spans: readonly Span[] }[] {
  if (items.length <= MAX_RECORD_BYTES || spans.length === 1) return [{ items, spans }];
  const pieces = Math.ceil(items.length / MAX_RECORD_BYTES);
  const size = Math.ceil(spans.length / pieces);
  const out: { items: Buffer; spans: readonly Span[] }[] = [];
  for (let i = 0; i < spans.length; i += size) out.push(...withinRecordBytes(spans.slice(i, i + size)));
  return out;
}

/** Kafka errors that come from the records themselves: retrying the same batch cannot succeed. */
const RECORD_ERROR_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/**
 * Kafka errors about the idempotent producer's own state (its sequence numbers or id), seen after leader
 * moves during a broker rolling restart (test/failover): kafkajs retries them forever with the same state.
 * Logged at warn when they make the sender replace its producer (it does after every failed send).
 */
export const PRODUCER_STATE_ERROR_TYPES: ReadonlySet<string> = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

export const hasErrorType = (e: unknown, types: ReadonlySet<string>): boolean => kafkaErrorTypesOf(e).some((t) => types.has(t));

export const isRecordError = (e: unknown): boolean => hasErrorType(e, RECORD_ERROR_TYPES);
