/**
 * What `meshray capture --dlq` says about each dead-lettered record, all read from the DLQ headers the
 * translator writes (shared/core/span-record/headers.ts DEAD_LETTER_HEADERS, `time` included), and
 * the `--summary` counts by reason. Pure: records in, entries and text out.
 */
import { DEAD_LETTER_HEADERS } from '../../../shared/core/span-record/headers.ts';
import type { DeliveredRecord } from '../../../shared/core/span-record/record.ts';

/** One line of `capture --dlq` (format `dead-letters`): the dead letter's facts, then its span. */
export interface DeadLetterEntry {
  /** When it was dead-lettered (ISO 8601 UTC), from DEAD_LETTER_HEADERS.time; else the record's own timestamp. */
  readonly time: string;
  /** The finer reason: X-Ray's ErrorCode (`InvalidTraceId`), the translator's rejection reason, or `avro`. */
  readonly reason: string;
  /** meshray's error code (SEGMENT_REJECTED, RECORD_UNDECODABLE, SPAN_UNTRANSLATABLE, …). */
  readonly errorCode: string;
  /** Deliveries before it was dead-lettered; null when the header is missing. */
  readonly attempts: number | null;
  /** Where the original record was: topic, partition, offset. */
  readonly source: { readonly topic: string; readonly partition: number | null; readonly offset: string };
  /** Where the dead letter itself is in the DLQ. */
  readonly dlq: { readonly partition: number; readonly offset: string };
  readonly message: string;
}

const UNKNOWN = '(unknown)';

const intOrNull = (value: string | undefined): number | null => {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
};

/** A DLQ record's facts from its headers; a record without them (not written by a translator) says `(unknown)`. */
export function deadLetterEntryOf(record: DeliveredRecord): DeadLetterEntry {
  const h = record.headers;
  const headerTime = h[DEAD_LETTER_HEADERS.time];
  const time = headerTime !== undefined && !Number.isNaN(Date.parse(headerTime)) ? headerTime : new Date(record.timestampMs).toISOString();
  return {
    time,
    reason: h[DEAD_LETTER_HEADERS.reason] ?? UNKNOWN,
    errorCode: h[DEAD_LETTER_HEADERS.code] ?? UNKNOWN,
    attempts: intOrNull(h[DEAD_LETTER_HEADERS.attempts]),
    source: {
      topic: h[DEAD_LETTER_HEADERS.topic] ?? UNKNOWN,
      partition: intOrNull(h[DEAD_LETTER_HEADERS.partition]),
      offset: h[DEAD_LETTER_HEADERS.offset] ?? UNKNOWN,
    },
    dlq: { partition: record.partition, offset: record.offset },
    message: h[DEAD_LETTER_HEADERS.message] ?? '',
  };
}

/** Counts of dead letters by reason and error code, for `capture --dlq --summary`. */
export class DeadLetterSummary {
  readonly #counts = new Map<string, { reason: string; errorCode: string; records: number; firstTime: string; lastTime: string }>();
  #total = 0;

  add(entry: DeadLetterEntry): void {
    this.#total += 1;
    const key = `${entry.reason}\u0000${entry.errorCode}`;
    const row = this.#counts.get(key);
    if (row === undefined) {
      this.#counts.set(key, { reason: entry.reason, errorCode: entry.errorCode, records: 1, firstTime: entry.time, lastTime: entry.time });
      return;
    }
    row.records += 1;
    if (entry.time < row.firstTime) row.firstTime = entry.time;
    if (entry.time > row.lastTime) row.lastTime = entry.time;
  }

  get total(): number {
    return this.#total;
  }

  /** A table, most frequent reason first (ties by reason); says so in words when there are none. */
  format(topic: string): string {
    if (this.#total === 0) return `${topic}: no dead letters in the selection\n`;
    const rows = [...this.#counts.values()].sort((a, b) => b.records - a.records || a.reason.localeCompare(b.reason));
    const header = ['reason', 'error code', 'records', 'first', 'last'];
    const cells = rows.map((r) => [r.reason, r.errorCode, r.records.toLocaleString('en-US'), r.firstTime, r.lastTime]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    const line = (c: readonly string[]) => c.map((v, i) => (i === 2 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
    const noun = this.#total === 1 ? 'dead letter' : 'dead letters';
    const reasons = rows.length === 1 ? '1 reason' : `${rows.length} reasons`;
    return `${topic}: ${this.#total.toLocaleString('en-US')} ${noun}, ${reasons}\n${line(header)}\n${cells.map(line).join('\n')}\n`;
  }
}
