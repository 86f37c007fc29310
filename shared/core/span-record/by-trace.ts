/**
 * A delivered record split by trace, for whatever holds spans by trace (the translator's assembly window). A
 * v1 record is keyed by its trace already. A span-list record (v2, what the receiver writes) has no key and
 * may carry the spans of many traces of its partition: it becomes one part per trace, keyed by the trace
 * (spanRecordKeyOf), at the same partition and offset, the spans of that trace in their order. A list of one
 * trace keeps its value; a list of several is re-encoded per trace with the current list schema. An
 * undecodable record stays whole (a poison record: the pipeline dead-letters it). Pure.
 */
import { encodeSpanItems, isSpanListFingerprint } from '../avro/span-codec.ts';
import type { Span } from '../zipkin/span.ts';
import { decodeRecordSpans, spanRecordKeyOf, toSpanListRecord, type DeliveredRecord } from './record.ts';
import { SPAN_SCHEMA_HEADER } from './headers.ts';

export function recordsByTraceOf(record: DeliveredRecord): DeliveredRecord[] {
  if (record.key !== '' || !isSpanListFingerprint(record.headers[SPAN_SCHEMA_HEADER])) return [record];
  const decoded = decodeRecordSpans(record);
  if (!decoded.ok || decoded.value.length === 0) return [record];
  const byTrace = new Map<string, Span[]>();
  for (const span of decoded.value) {
    const key = spanRecordKeyOf(span.traceId);
    const list = byTrace.get(key);
    if (list === undefined) byTrace.set(key, [span]);
    else list.push(span);
  }
  if (byTrace.size === 1) return [...byTrace.keys()].map((key) => ({ ...record, key }));
  return [...byTrace].map(([key, spans]) => {
    const part = toSpanListRecord([encodeSpanItems(spans)], spans.length, record.timestampMs);
    return { ...record, key, value: part.value, headers: { ...record.headers, ...part.headers } };
  });
}
