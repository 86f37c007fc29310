import { decodeSpan, SPAN_SCHEMA_HEADER } from '../../../shared/avro/span-codec.ts';
import type { Result } from '../../../shared/result/result.ts';
import type { DeliveredRecord } from '../../../shared/transport/index.ts';
import type { Span } from '../../../shared/zipkin/span.ts';

/** A span record's Avro value → Span, read with the writer schema named by its header. Failure = poison. */
export function decodeRecord(record: DeliveredRecord): Result<Span> {
  return decodeSpan(record.value, record.headers[SPAN_SCHEMA_HEADER]);
}
