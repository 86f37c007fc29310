import { SPAN_SCHEMA_FINGERPRINT, SPAN_SCHEMA_HEADER, encodeSpan } from '../../../shared/avro/index.ts';
import type { TopicRecord } from '../../../shared/transport/index.ts';
import { traceIdLow64 } from '../../../shared/zipkin/index.ts';
import type { Span } from '../../../shared/zipkin/span.ts';

const HEADERS: Readonly<Record<string, string>> = Object.freeze({ [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT });

/**
 * Spans → span-topic records. The key is the trace id's low 64 bits, so the 64- and 128-bit ids of one
 * trace land on one partition (one translator sees the whole trace); the value is the Avro span and the
 * header names its schema fingerprint.
 */
export function toRecords(spans: readonly Span[], timestampMs: number): TopicRecord[] {
  return spans.map((span) => ({ key: traceIdLow64(span.traceId), value: encodeSpan(span), headers: HEADERS, timestampMs }));
}
