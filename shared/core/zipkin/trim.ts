/**
 * A span too large for a Kafka record, cut down instead of refused. Only its longest tag and annotation values
 * are shortened: X-Ray keeps at most 64 KB per segment document (X-Ray Developer Guide, "Segment documents";
 * the translator trims metadata to fit, shared/core/xray/limits.ts), so a value of hundreds of kilobytes never
 * reaches X-Ray whole anyway, while refusing the span lost its timing and broke its trace's tree. Pure: the
 * size of a span is an input (`sizeOf`, the bytes its encoding takes).
 */
import type { Annotation, Span } from './span.ts';

/** Values are never cut below this many characters: a span still too large at it is refused. */
export const TRIM_FLOOR_CHARACTERS = 1024;

/** What a cut value ends with: how many characters meshray removed. */
export const cutMarker = (removed: number): string => `…[meshray cut ${removed} characters: span over the Kafka record limit]`;

/** A span that fits, and how many of its values were cut. */
export interface TrimmedSpan {
  readonly span: Span;
  readonly valuesCut: number;
}

/**
 * `span` with every tag and annotation value longer than some cap cut to that cap (with `cutMarker`): the
 * largest cap (in characters, found by bisection to within 1/1024 of the longest value, so a 1 MB value costs
 * about ten encodings, not twenty) at which `sizeOf` of the result is at most `maxBytes`.
 * Returns the span itself (`valuesCut` 0) when it fits already, and undefined when it does not fit even with
 * every value cut to TRIM_FLOOR_CHARACTERS (its bulk is elsewhere: the name, the endpoints, the number of
 * annotations or tags).
 */
export function trimmedToFit(span: Span, maxBytes: number, sizeOf: (span: Span) => number): TrimmedSpan | undefined {
  if (sizeOf(span) <= maxBytes) return { span, valuesCut: 0 };
  let longest = 0;
  for (const value of Object.values(span.tags)) longest = Math.max(longest, value.length);
  for (const a of span.annotations) longest = Math.max(longest, a.value.length);
  if (longest <= TRIM_FLOOR_CHARACTERS) return undefined;
  let best = withValuesCutAt(span, TRIM_FLOOR_CHARACTERS);
  if (sizeOf(best.span) > maxBytes) return undefined;
  // the largest cap that fits lies in [floor, longest): fits(low) holds, fits(high) does not
  let low = TRIM_FLOOR_CHARACTERS;
  let high = longest;
  const close = Math.max(1, Math.floor(longest / 1024));
  while (high - low > close) {
    const mid = Math.floor((low + high) / 2);
    const candidate = withValuesCutAt(span, mid);
    if (sizeOf(candidate.span) <= maxBytes) {
      low = mid;
      best = candidate;
    } else {
      high = mid;
    }
  }
  return best;
}

/** `span` with each tag and annotation value longer than `cap` characters cut to `cap` (one less where `cap` would split a surrogate pair) and `cutMarker`. */
export function withValuesCutAt(span: Span, cap: number): TrimmedSpan {
  let valuesCut = 0;
  const cut = (value: string): string => {
    if (value.length <= cap) return value;
    valuesCut += 1;
    // a cut between the two halves of a surrogate pair would leave a lone half: cut before it
    const end = isHighSurrogate(value.charCodeAt(cap - 1)) ? cap - 1 : cap;
    return value.slice(0, end) + cutMarker(value.length - end);
  };
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.tags)) tags[key] = cut(value);
  const annotations: Annotation[] = span.annotations.map((a) => (a.value.length <= cap ? a : { timestampMicros: a.timestampMicros, value: cut(a.value) }));
  return { span: { ...span, tags, annotations }, valuesCut };
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
