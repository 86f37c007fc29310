/**
 * A Selection → the offset range to read in each partition, against the partitions' watermarks captured
 * at start (so a replay of a live topic ends: it never chases records produced after it started).
 */
import type { Admin } from 'kafkajs';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { PartitionRange } from '../../translator/index.ts';
import type { Selection } from './selection.ts';

export type { PartitionRange };

/** A partition's log start offset and high-water mark (next offset to be written). */
export interface Watermarks {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

export interface RangePlan {
  readonly ranges: readonly PartitionRange[];
  /** Things the operator should know (clamped ranges, records gone to retention). */
  readonly warnings: readonly string[];
}

const byPartition = <T extends { partition: number }>(list: readonly T[]): Map<number, T> => new Map(list.map((x) => [x.partition, x]));

/**
 * Time selection: `starts` = first offset with timestamp ≥ from (per partition), `ends` = first offset with
 * timestamp ≥ to (absent: no `--to`). Both as Kafka's ListOffsets answers (the high-water mark when no
 * record qualifies); every range ends at the high-water mark captured at start at the latest.
 */
export function planTimeRanges(
  watermarks: readonly Watermarks[],
  starts: readonly { partition: number; offset: number }[],
  ends?: readonly { partition: number; offset: number }[],
): RangePlan {
  const startOf = byPartition(starts);
  const endOf = ends === undefined ? undefined : byPartition(ends);
  const ranges = [...watermarks].sort((a, b) => a.partition - b.partition).map((w) => {
    const start = Math.max(w.low, startOf.get(w.partition)?.offset ?? w.high);
    const end = Math.min(w.high, endOf?.get(w.partition)?.offset ?? w.high);
    return { partition: w.partition, startOffset: start, endOffset: Math.max(start, end) };
  });
  return { ranges, warnings: [] };
}

/** The whole topic as it is now. */
export function planAllRanges(watermarks: readonly Watermarks[]): RangePlan {
  return {
    ranges: [...watermarks].sort((a, b) => a.partition - b.partition).map((w) => ({ partition: w.partition, startOffset: w.low, endOffset: w.high })),
    warnings: [],
  };
}

/** Explicit (inclusive) offset ranges, clamped to what the partitions hold; unknown partitions are an error. */
export function planOffsetRanges(selection: Extract<Selection, { kind: 'offsets' }>, watermarks: readonly Watermarks[], topic: string): RangePlan {
  const marks = byPartition(watermarks);
  const missing = selection.ranges.filter((r) => !marks.has(r.partition)).map((r) => r.partition);
  if (missing.length > 0) {
    throw new MeshrayError('CONFIG_INVALID', `topic ${topic} has no partition ${missing.join(', ')} (it has ${watermarks.length}: 0-${watermarks.length - 1})`);
  }
  const warnings: string[] = [];
  const ranges = selection.ranges.map((r) => {
    const w = marks.get(r.partition) as Watermarks;
    let start = r.startOffset;
    let end = r.endOffset === undefined ? w.high : r.endOffset + 1;
    const asked = `${r.startOffset}-${r.endOffset ?? 'end'}`;
    // a range wholly outside what the partition holds reads nothing: say why, once (found by review: silent)
    if (start >= w.high) {
      const holds = w.high === w.low ? 'it holds no records' : `its last record is ${w.high - 1}`;
      warnings.push(`partition ${r.partition}: offsets ${asked} start past the end of the partition (${holds}): nothing to read there`);
      return { partition: r.partition, startOffset: w.high, endOffset: w.high };
    }
    if (end <= w.low) {
      warnings.push(`partition ${r.partition}: offsets ${asked} are no longer in the topic (retention; it now starts at ${w.low}): nothing to read there`);
      return { partition: r.partition, startOffset: w.low, endOffset: w.low };
    }
    if (start < w.low) {
      warnings.push(`partition ${r.partition}: offsets ${start}-${Math.min(end, w.low) - 1} are no longer in the topic (retention); reading from ${w.low}`);
      start = w.low;
    }
    if (end > w.high) {
      if (r.endOffset !== undefined) warnings.push(`partition ${r.partition}: end offset ${r.endOffset} is past the last record (${w.high - 1}); reading up to ${w.high - 1}`);
      end = w.high;
    }
    return { partition: r.partition, startOffset: start, endOffset: Math.max(start, end) };
  });
  return { ranges, warnings };
}

/** Reads the watermarks (and, for a time range, offsets by timestamp) and plans the ranges. */
export async function resolveRanges(admin: Admin, topic: string, selection: Selection, options: { timesOutOfOrder?: boolean } = {}): Promise<RangePlan> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new MeshrayError('CONFIG_INVALID', `topic ${topic} does not exist`);
  const offsets = await admin.fetchTopicOffsets(topic);
  const watermarks: Watermarks[] = offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }));
  switch (selection.kind) {
    case 'all': return planAllRanges(watermarks);
    case 'offsets': return planOffsetRanges(selection, watermarks, topic);
    case 'time': {
      // Offset-by-timestamp finds the first record at or after a time: right only when times follow offsets.
      if (options.timesOutOfOrder === true) return planAllRanges(watermarks);
      const toNumbers = (list: readonly { partition: number; offset: string }[]) => list.map((x) => ({ partition: x.partition, offset: Number(x.offset) }));
      const starts = toNumbers(await admin.fetchTopicOffsetsByTimestamp(topic, selection.fromMs));
      const ends = selection.toMs === undefined ? undefined : toNumbers(await admin.fetchTopicOffsetsByTimestamp(topic, selection.toMs));
      return planTimeRanges(watermarks, starts, ends);
    }
  }
}

/** Records a plan covers. */
export const recordsIn = (ranges: readonly PartitionRange[]): number => ranges.reduce((n, r) => n + Math.max(0, r.endOffset - r.startOffset), 0);
