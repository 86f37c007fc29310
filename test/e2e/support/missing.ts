/**
 * Where ledgered documents that never reached xray-local were lost (issue 10): the one fact that decides
 * whether the receiver/producer or the translator lost them is whether their spans are in the span topic.
 * For the span of every missing document this reads the topic to its end, finds the records holding it,
 * and compares them with the group's committed offsets:
 * - a span in the topic, below the committed offset: the TRANSLATOR committed past it without exporting;
 * - a span in the topic, at or above the committed offset: not consumed yet (a lag, not a loss);
 * - a span not in the topic: the RECEIVER answered 202 for it but Kafka does not hold it.
 */
import type { Kafka } from 'kafkajs';
import { decodeRecordSpans } from '../../../shared/core/span-record/record.ts';
import { traceKeyOf } from '../../../shared/core/xray/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { readTopicToEnd, type ReadRecord } from '../../support/read-topic.ts';
import { groupProgress } from './kafka.ts';

export interface SpanWhereabouts {
  readonly traceKey: string;
  readonly spanId: string;
  /** partition:offset of every record holding the span (more than one: written twice). */
  readonly records: readonly string[];
  /** The group's committed offset (next to read) of the span's partition; undefined when not in the topic. */
  readonly committed?: number;
}

export interface MissingDiagnosis {
  /** Ledgered spans whose documents are missing, in the topic below the committed offset. */
  readonly translatorLost: readonly SpanWhereabouts[];
  /** ... in the topic, not committed yet. */
  readonly notConsumed: readonly SpanWhereabouts[];
  /** ... not in the topic at all. */
  readonly neverWritten: readonly SpanWhereabouts[];
  /** One paragraph for the test output. */
  readonly text: string;
}

/** `traceKey/spanId` of a span: what `locateSpans` looks for. */
export const spanKey = (traceKey: string, spanId: string): string => `${traceKey}/${spanId}`;

/**
 * Where the ledgered spans `missing` (spanKey) are: in the topic (committed past or not) or nowhere.
 * `committedOf`: the group's committed offset (next to read) per partition.
 */
export function locateSpans(records: readonly ReadRecord[], committedOf: ReadonlyMap<number, number>, accepted: readonly Span[], missing: ReadonlySet<string>): Omit<MissingDiagnosis, 'text'> {
  const missingTraceKeys = new Set([...missing].map((k) => k.split('/')[0] ?? ''));
  const where = new Map<string, { partition: number; offset: string }[]>();
  for (const r of records) {
    const decoded = decodeRecordSpans(r);
    if (!decoded.ok) continue;
    for (const s of decoded.value) {
      const key = traceKeyOf(s.traceId);
      if (!missingTraceKeys.has(key)) continue;
      const k = spanKey(key, s.id);
      where.set(k, [...(where.get(k) ?? []), { partition: r.partition, offset: r.offset }]);
    }
  }
  const translatorLost: SpanWhereabouts[] = [];
  const notConsumed: SpanWhereabouts[] = [];
  const neverWritten: SpanWhereabouts[] = [];
  const seen = new Set<string>();
  for (const s of accepted) {
    const traceKey = traceKeyOf(s.traceId);
    const k = spanKey(traceKey, s.id);
    if (!missing.has(k) || seen.has(k)) continue;
    seen.add(k);
    const found = where.get(k) ?? [];
    const first = found[0];
    if (first === undefined) {
      neverWritten.push({ traceKey, spanId: s.id, records: [] });
      continue;
    }
    const committed = committedOf.get(first.partition) ?? 0;
    const entry = { traceKey, spanId: s.id, records: found.map((f) => `${f.partition}:${f.offset}`), committed };
    (found.some((f) => Number(f.offset) < committed) ? translatorLost : notConsumed).push(entry);
  }
  return { translatorLost, notConsumed, neverWritten };
}

const describe = (list: readonly SpanWhereabouts[]): string => list.slice(0, 8)
  .map((w) => `trace ${w.traceKey} span ${w.spanId}${w.records.length > 0 ? ` at ${w.records.join(' & ')} (committed to ${w.committed})` : ''}`).join('; ');

/** Reads `topic` to its end and the group's commits, and says where the missing documents' spans are. */
export async function diagnoseMissing(o: { kafka: Kafka; topic: string; groupId: string; accepted: readonly Span[]; missing: ReadonlySet<string> }): Promise<MissingDiagnosis> {
  const progress = await groupProgress(o.kafka, o.groupId, o.topic);
  const records = await readTopicToEnd(o.kafka, o.topic, { timeoutMs: 60_000 });
  const found = locateSpans(records, new Map(progress.map((p) => [p.partition, p.committed])), o.accepted, o.missing);
  const lines = [
    `missing documents come from ${o.missing.size} ledgered spans: ${found.translatorLost.length} are in ${o.topic} below the group's committed offset (the translator committed past them), ${found.notConsumed.length} in the topic not committed yet, ${found.neverWritten.length} not in the topic (the receiver answered 202, Kafka does not hold them)`,
    `group ${o.groupId} committed/end per partition: ${progress.map((p) => `${p.partition}:${p.committed}/${p.end}`).join(' ')}`,
  ];
  if (found.translatorLost.length > 0) lines.push(`committed past: ${describe(found.translatorLost)}`);
  if (found.notConsumed.length > 0) lines.push(`not consumed: ${describe(found.notConsumed)}`);
  if (found.neverWritten.length > 0) lines.push(`not in the topic: ${describe(found.neverWritten)}`);
  return { ...found, text: lines.join('\n') };
}
