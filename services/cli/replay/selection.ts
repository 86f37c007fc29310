/**
 * Which records of a topic `meshray replay` and `meshray capture` read: a time range by record timestamp,
 * explicit offset ranges, or the whole topic. Pure: parsing and validation only (no Kafka, no clock).
 */

/** Offsets `startOffset` to `endOffset` of one partition, both INCLUSIVE; no end = up to the high-water mark at start. */
export interface OffsetRange {
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset?: number;
}

export type Selection =
  /** Records with `fromMs ≤ timestamp`, stopping each partition at its first record with `timestamp ≥ toMs`. */
  | { readonly kind: 'time'; readonly fromMs: number; readonly toMs?: number }
  | { readonly kind: 'offsets'; readonly ranges: readonly OffsetRange[] }
  /** Everything from the log start offset to the high-water mark at start. */
  | { readonly kind: 'all' };

/** The selection flags as node:util parseArgs gives them (repeatable ones as arrays). */
export interface SelectionFlags {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly offsets?: readonly string[] | undefined;
  readonly partition?: readonly string[] | undefined;
  readonly 'start-offset'?: readonly string[] | undefined;
  readonly 'end-offset'?: readonly string[] | undefined;
  readonly all?: boolean | undefined;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

const DIGITS = /^\d+$/;
/** Full ISO 8601 date-time with an explicit zone (Z or ±hh:mm), or a bare date (UTC midnight). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/** A date-time that would be ISO 8601 with a zone: it lacks only the zone. */
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/i;

/** Zipkin was open-sourced in June 2012: no span is dated before it (and no X-Ray trace id). */
export const ZIPKIN_RELEASE_MS = Date.parse('2012-06-01T00:00:00Z');

/** Digits that, read as epoch milliseconds, fall before Zipkin existed but, as epoch seconds, after: seconds by mistake. */
function looksLikeEpochSeconds(digits: string): boolean {
  const n = Number(digits);
  return n > 0 && n < ZIPKIN_RELEASE_MS && n * 1000 >= ZIPKIN_RELEASE_MS;
}

/**
 * Why a time flag's value was refused: a date-time without a zone is told to add one, epoch seconds to add
 * `000` (`--from 1796180099` read as milliseconds is January 1970: the whole topic).
 */
export function timeProblem(flag: string, value: string, example: string): string {
  const v = value.trim();
  if (ISO_WITHOUT_ZONE.test(v)) return `${flag}: "${value}" has no time zone: add a zone (Z or ±hh:mm), e.g. ${v}Z`;
  if (DIGITS.test(v) && looksLikeEpochSeconds(v)) {
    return `${flag}: ${v} as epoch milliseconds is ${new Date(Number(v)).toISOString()}; as epoch seconds it is ${new Date(Number(v) * 1000).toISOString()}: pass ${v}000`;
  }
  return `${flag}: expected ISO 8601 (${example}) or epoch milliseconds, got "${value}"`;
}

/**
 * ISO 8601 with a zone (`2024-05-01T10:00:00Z`, `2024-05-01`) or epoch milliseconds → epoch ms; undefined when
 * neither, and for digits that look like epoch seconds (timeProblem says why).
 */
export function parseTimeMs(value: string): number | undefined {
  const v = value.trim();
  if (DIGITS.test(v)) {
    const ms = Number(v);
    return Number.isSafeInteger(ms) && !looksLikeEpochSeconds(v) ? ms : undefined;
  }
  if (!ISO.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

function parseNonNegativeInt(value: string): number | undefined {
  const v = value.trim();
  if (!DIGITS.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * `0:100-200,3:0-50` → ranges (inclusive). Also `P:A` (one offset) and `P:A-` (A up to the high-water mark).
 * Several specs (a repeated `--offsets`) may be given.
 */
export function parseOffsetsSpec(specs: readonly string[]): Parsed<OffsetRange[]> {
  const ranges: OffsetRange[] = [];
  const errors: string[] = [];
  for (const spec of specs) {
    for (const raw of spec.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      const m = /^(\d+):(\d+)(?:(-)(\d+)?)?$/.exec(item);
      if (!m) {
        errors.push(`--offsets: expected PARTITION:START-END (e.g. 0:100-200), PARTITION:OFFSET or PARTITION:START-, got "${item}"`);
        continue;
      }
      const partition = parseNonNegativeInt(m[1] ?? '');
      const startOffset = parseNonNegativeInt(m[2] ?? '');
      const endOffset = m[3] === undefined ? startOffset : m[4] === undefined ? undefined : parseNonNegativeInt(m[4]);
      if (partition === undefined || startOffset === undefined || (m[4] !== undefined && endOffset === undefined)) {
        errors.push(`--offsets: number out of range in "${item}"`);
        continue;
      }
      ranges.push(endOffset === undefined ? { partition, startOffset } : { partition, startOffset, endOffset });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: ranges };
}

/** `--partition P --start-offset A [--end-offset B]`, repeated: the n-th of each belong together. */
function parseTriples(flags: SelectionFlags): Parsed<OffsetRange[]> {
  const partitions = flags.partition ?? [];
  const starts = flags['start-offset'] ?? [];
  const ends = flags['end-offset'] ?? [];
  const errors: string[] = [];
  if (starts.length !== partitions.length) errors.push(`--start-offset: give one per --partition (got ${partitions.length} --partition, ${starts.length} --start-offset)`);
  if (ends.length !== 0 && ends.length !== partitions.length) errors.push(`--end-offset: give one per --partition, or none to read up to the high-water mark (got ${partitions.length} --partition, ${ends.length} --end-offset)`);
  if (errors.length > 0) return { ok: false, errors };
  const ranges: OffsetRange[] = [];
  partitions.forEach((p, i) => {
    const partition = parseNonNegativeInt(p);
    const startOffset = parseNonNegativeInt(starts[i] ?? '');
    const endText = ends[i];
    const endOffset = endText === undefined ? undefined : parseNonNegativeInt(endText);
    if (partition === undefined) errors.push(`--partition: expected a partition number, got "${p}"`);
    if (startOffset === undefined) errors.push(`--start-offset: expected an offset, got "${starts[i] ?? ''}"`);
    if (endText !== undefined && endOffset === undefined) errors.push(`--end-offset: expected an offset, got "${endText}"`);
    if (partition === undefined || startOffset === undefined || (endText !== undefined && endOffset === undefined)) return;
    ranges.push(endOffset === undefined ? { partition, startOffset } : { partition, startOffset, endOffset });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: ranges };
}

function checkRanges(ranges: readonly OffsetRange[]): string[] {
  const errors: string[] = [];
  const seen = new Set<number>();
  for (const r of ranges) {
    if (r.endOffset !== undefined && r.endOffset < r.startOffset) errors.push(`partition ${r.partition}: end offset ${r.endOffset} is before start offset ${r.startOffset}`);
    if (seen.has(r.partition)) errors.push(`partition ${r.partition} is selected more than once (give one range per partition)`);
    seen.add(r.partition);
  }
  return errors;
}

/** The selection flags → one Selection, or every problem with them. */
export function parseSelection(flags: SelectionFlags): Parsed<Selection> {
  const usesTime = flags.from !== undefined || flags.to !== undefined;
  const usesOffsets = (flags.offsets?.length ?? 0) > 0;
  const usesTriples = (flags.partition?.length ?? 0) > 0 || (flags['start-offset']?.length ?? 0) > 0 || (flags['end-offset']?.length ?? 0) > 0;
  const usesAll = flags.all === true;
  const used = [usesTime && '--from/--to', usesOffsets && '--offsets', usesTriples && '--partition/--start-offset/--end-offset', usesAll && '--all'].filter((x): x is string => typeof x === 'string');
  if (used.length === 0) return { ok: false, errors: ['choose what to read: --from/--to (record time), --offsets / --partition --start-offset --end-offset, or --all'] };
  if (used.length > 1) return { ok: false, errors: [`choose one way to select records, got ${used.join(' and ')}`] };

  if (usesAll) return { ok: true, value: { kind: 'all' } };
  if (usesTime) {
    const errors: string[] = [];
    if (flags.from === undefined) errors.push('--from is required with --to (the start of the time range)');
    const fromMs = flags.from === undefined ? undefined : parseTimeMs(flags.from);
    if (flags.from !== undefined && fromMs === undefined) errors.push(timeProblem('--from', flags.from, '2024-05-01T10:00:00Z'));
    const toMs = flags.to === undefined ? undefined : parseTimeMs(flags.to);
    if (flags.to !== undefined && toMs === undefined) errors.push(timeProblem('--to', flags.to, '2024-05-01T11:00:00Z'));
    if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) errors.push(`--to (${new Date(toMs).toISOString()}) must be after --from (${new Date(fromMs).toISOString()})`);
    if (errors.length > 0 || fromMs === undefined) return { ok: false, errors };
    return { ok: true, value: toMs === undefined ? { kind: 'time', fromMs } : { kind: 'time', fromMs, toMs } };
  }
  const parsed = usesOffsets ? parseOffsetsSpec(flags.offsets ?? []) : parseTriples(flags);
  if (!parsed.ok) return parsed;
  if (parsed.value.length === 0) return { ok: false, errors: ['--offsets: no range given'] };
  const errors = checkRanges(parsed.value);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { kind: 'offsets', ranges: [...parsed.value].sort((a, b) => a.partition - b.partition) } };
}

/** One line describing a selection, for the start-of-run message. */
export function describeSelection(selection: Selection): string {
  switch (selection.kind) {
    case 'all': return 'the whole topic (log start to high-water mark)';
    case 'time': return `records from ${new Date(selection.fromMs).toISOString()} to ${selection.toMs === undefined ? 'the high-water mark' : new Date(selection.toMs).toISOString()}`;
    case 'offsets': return selection.ranges.map((r) => `${r.partition}:${r.startOffset}-${r.endOffset ?? 'end'}`).join(',');
  }
}
