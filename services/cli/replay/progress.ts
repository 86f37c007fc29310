/**
 * What a replay or capture has done so far, and how it is shown: one progress line on stderr about every
 * second, a summary at the end. Skipped records are always counted and the first few named.
 */
import type { PartitionPosition } from '../../translator/index.ts';
import { plural } from '../plural.ts';

export type { PartitionPosition };

/** Why a record produced nothing (or not everything) at its destination. */
export type SkipKind = 'undecodable' | 'untranslatable' | 'rejected';

export interface SkippedRecord {
  readonly kind: SkipKind;
  readonly partition: number;
  readonly offset: string;
  /** `avro`, the translator's RejectReason, or X-Ray's ErrorCode. */
  readonly reason: string;
  readonly message: string;
  /** For a DLQ record: where it came from (`meshray.dlq.source-*` headers), e.g. `meshray.spans/3@1200`. */
  readonly source?: string;
  /** One span of a span-list record (its index in the list): what is skipped is that span, not the record. */
  readonly spanIndex?: number;
}

/** What one skip of a kind is: an undecodable record goes whole; the others are one span each (dead-lettered alone). */
const UNIT_OF_KIND: Readonly<Record<SkipKind, string>> = { undecodable: 'record', untranslatable: 'span', rejected: 'span' };

/** Skipped records listed by name; the rest are only counted. */
export const MAX_SKIPPED_LISTED = 10;

export class ReplayTally {
  records = 0;
  spans = 0;
  documents = 0;
  readonly skippedByKind: Record<SkipKind, number> = { undecodable: 0, untranslatable: 0, rejected: 0 };
  readonly skipped: SkippedRecord[] = [];

  skip(record: SkippedRecord): void {
    this.skippedByKind[record.kind] += 1;
    if (this.skipped.length < MAX_SKIPPED_LISTED) this.skipped.push(record);
  }

  get skippedTotal(): number {
    return this.skippedByKind.undecodable + this.skippedByKind.untranslatable + this.skippedByKind.rejected;
  }
}

export interface ProgressSnapshot {
  readonly records: number;
  readonly totalRecords: number;
  /** Spans: capture, those written; replay, those translated and exported (dead-lettered ones are in the skipped report). Absent while not known. */
  readonly spans?: number;
  /** What was done to `spans`, said after them (replay: `exported`, since a skipped span was read too: "0 spans" of a replay that skipped one read as none read). */
  readonly spansVerb?: string;
  /** Documents written (replay) or spans written (capture). */
  readonly written: number;
  /** Singular: `document`, `span`. */
  readonly writtenUnit: string;
  /** What was done to them; default `written` (capture --summary alone: `counted`, nothing is written). */
  readonly writtenVerb?: string;
  /** The --rate limit, when there is one: a faster measured rate is called a burst (the bucket holds 1 s). */
  readonly rateLimitPerSecond?: number;
  readonly skipped: number;
  readonly elapsedMs: number;
  readonly positions: readonly PartitionPosition[];
}

const count = (n: number): string => n.toLocaleString('en-US');


/** The rate part of a progress line: the measured rate, called a burst when above the limit. */
function formatRate(rate: number, limit: number | undefined): string {
  if (limit === undefined || rate <= limit) return `${count(rate)}/s`;
  return `${count(rate)}/s in a burst; limit ${count(limit)}/s`;
}

/** `p3 1200/5000` (next offset within its range), `p3 done`; partitions with nothing to read are left out. */
export function formatPosition(p: PartitionPosition): string {
  if (p.endOffset <= p.startOffset) return '';
  if (p.next >= p.endOffset) return `p${p.partition} done`;
  return `p${p.partition} ${p.next - p.startOffset}/${p.endOffset - p.startOffset}`;
}

/** One progress line (no trailing newline). At most `maxPartitions` positions are listed, unfinished first. */
export function formatProgress(s: ProgressSnapshot, maxPartitions = 12): string {
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(s.written / seconds) : 0;
  const percent = s.totalRecords > 0 ? ` (${Math.floor((s.records / s.totalRecords) * 100)}%)` : '';
  const active = s.positions.filter((p) => p.endOffset > p.startOffset);
  const open = active.filter((p) => p.next < p.endOffset);
  const shown = [...open, ...active.filter((p) => p.next >= p.endOffset)].slice(0, maxPartitions).map(formatPosition);
  const more = active.length > maxPartitions ? ` +${active.length - maxPartitions} more` : '';
  return `${count(s.records)}/${plural(s.totalRecords, 'record')}${percent}${s.spans !== undefined ? `, ${plural(s.spans, 'span')}${s.spansVerb === undefined ? '' : ` ${s.spansVerb}`}` : ''}, ${plural(s.written, s.writtenUnit)} ${s.writtenVerb ?? 'written'} (${formatRate(rate, s.rateLimitPerSecond)})` +
    `${s.skipped > 0 ? `, ${count(s.skipped)} skipped` : ''}, ${seconds.toFixed(1)}s${shown.length > 0 ? ` | ${shown.join(' ')}${more}` : ''}`;
}

/**
 * The skipped report: counts by kind, each in its unit (an undecodable record; an untranslatable or refused
 * span, dead-lettered alone: a record of many spans skips only those), then the first few by partition/offset
 * (and span index in the record, for a span of a span list).
 */
export function formatSkipped(tally: ReplayTally): string {
  if (tally.skippedTotal === 0) return '';
  const kinds = (Object.entries(tally.skippedByKind) as [SkipKind, number][]).filter(([, n]) => n > 0)
    .map(([k, n]) => `${count(n)} ${k} ${n === 1 ? UNIT_OF_KIND[k] : `${UNIT_OF_KIND[k]}s`}`).join(', ');
  const lines = tally.skipped.map((s) =>
    `  ${s.kind} p${s.partition}@${s.offset}${s.spanIndex === undefined ? '' : ` span ${s.spanIndex}`}${s.source ? ` (from ${s.source})` : ''} ${s.reason}: ${s.message.split('\n')[0] ?? ''}`);
  const rest = tally.skippedTotal - tally.skipped.length;
  return `${count(tally.skippedTotal)} skipped (${kinds}):\n${lines.join('\n')}${rest > 0 ? `\n  ... and ${count(rest)} more` : ''}\n`;
}

/** Writes `line()` to `out` every `intervalMs` until stopped. */
export function startProgress(out: NodeJS.WritableStream, prefix: string, line: () => string, intervalMs = 1000): { stop(): void } {
  const timer = setInterval(() => out.write(`${prefix}${line()}\n`), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** `--offsets` value that reads what is left of the ranges (for rerunning after a failure); '' when nothing is. */
export function resumeOffsets(positions: readonly PartitionPosition[]): string {
  return positions.filter((p) => p.next < p.endOffset).map((p) => `${p.partition}:${p.next}-${p.endOffset - 1}`).join(',');
}
