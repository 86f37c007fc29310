/**
 * A delivered record split by trace, for whatever holds spans by trace (the translator's assembly window). A
 * v1 record is keyed by its trace already. A span-list record (v2, what the receiver writes) has no key and
 * may carry the spans of many traces of its partition: it becomes one part per trace, keyed by the trace
 * (spanRecordKeyOf), at the same partition and offset, the spans of that trace in their order, with the index of
 * each in the list as written (`sourceSpanIndexes`: a dead letter names its span as the record does). A list of one
 * trace keeps its value; a list of several becomes one list per trace with the current list schema: its
 * items' bytes copied as they are when the record was written with that schema (only the trace ids are read,
 * spanListItemsOf: decoding every span and encoding it again was most of the assembly window's cost, issue
 * 9), else its spans decoded and encoded again. An undecodable record stays whole (a poison record: the
 * pipeline dead-letters it). Pure.
 */
import { encodeSpanItems, isSpanListFingerprint, spanListItemsOf, spanListValueOf } from '../avro/span-codec.ts';
import type { Span } from '../zipkin/span.ts';
import { decodeRecordSpans, spanRecordKeyOf, toSpanListRecord, type DeliveredRecord } from './record.ts';
import { SPAN_SCHEMA_HEADER } from './headers.ts';

/**
 * `record` as one part per trace (see above). Returns `[record]` unchanged for a v1 record, an empty list or a
 * value that does not decode; a list of one trace comes back as one copy keyed by its trace, same value, without
 * `sourceSpanIndexes`. Only the parts of a list of several traces carry `sourceSpanIndexes` (each span's index
 * in the list as written); every part keeps the record's partition and offset. Never throws for bad input.
 */
export function recordsByTraceOf(record: DeliveredRecord): DeliveredRecord[] {
  if (record.key !== '' || !isSpanListFingerprint(record.headers[SPAN_SCHEMA_HEADER])) return [record];
  const items = spanListItemsOf(record.value, record.headers[SPAN_SCHEMA_HEADER]);
  if (items !== undefined) {
    if (!items.ok || items.value.length === 0) return [record];
    const byTrace = new Map<string, { chunks: Buffer[]; indexes: number[] }>();
    items.value.forEach((item, index) => {
      const key = spanRecordKeyOf(item.traceId);
      const bytes = record.value.subarray(item.start, item.end);
      const part = byTrace.get(key);
      if (part === undefined) byTrace.set(key, { chunks: [bytes], indexes: [index] });
      else { part.chunks.push(bytes); part.indexes.push(index); }
    });
    if (byTrace.size === 1) return [...byTrace.keys()].map((key) => ({ ...record, key }));
    // Same writer schema: the record's headers stay true of each part.
    return [...byTrace].map(([key, { chunks, indexes }]) => ({ ...record, key, value: spanListValueOf(chunks, chunks.length), sourceSpanIndexes: indexes }));
  }
  const decoded = decodeRecordSpans(record);
  if (!decoded.ok || decoded.value.length === 0) return [record];
  const byTrace = new Map<string, { spans: Span[]; indexes: number[] }>();
  decoded.value.forEach((span, index) => {
    const key = spanRecordKeyOf(span.traceId);
    const part = byTrace.get(key);
    if (part === undefined) byTrace.set(key, { spans: [span], indexes: [index] });
    else { part.spans.push(span); part.indexes.push(index); }
  });
  if (byTrace.size === 1) return [...byTrace.keys()].map((key) => ({ ...record, key }));
  return [...byTrace].map(([key, { spans, indexes }]) => {
    const part = toSpanListRecord([encodeSpanItems(spans)], spans.length, record.timestampMs);
    return { ...record, key, value: part.value, headers: { ...record.headers, ...part.headers }, sourceSpanIndexes: indexes };
  });
}
