/**
 * A span too large for a Kafka record, cut down instead of refused. Only its longest tag and annotation values
 * are shortened: X-Ray keeps at most 64 KB per segment document (X-Ray Developer Guide, "Segment documents";
 * the translator trims metadata to fit, shared/core/xray/limits.ts), so a value of hundreds of kilobytes never
 * reaches X-Ray whole anyway, while refusing the span lost its timing and broke its trace's tree. Pure: the
 * encoding is an input (`encode`; its `length` is the bytes a span takes).
 */
import type { Annotation, Span } from './span.ts';

/** Values are never cut below this many characters: a span still too large at it is refused. */
export const TRIM_FLOOR_CHARACTERS = 1024;

/** What a cut value ends with: how many characters meshray removed. */
export const cutMarker = (removed: number): string => `…[meshray cut ${removed} characters: span over the Kafka record limit]`;

/** A span cut down to fit, with its encoding (the one `encode` gave for it: the caller need not encode it again). */
export interface TrimmedSpan<E extends { readonly length: number }> {
  readonly span: Span;
  readonly encoded: E;
}

/**
 * `span`, which does not fit in `maxBytes` (its caller has encoded it already; given one that fits, values over
 * TRIM_FLOOR_CHARACTERS are still cut), with every tag and annotation
 * value longer than some cap cut to that cap (with `cutMarker`): the largest cap (in characters, found by
 * bisection to within 1/1024 of the longest value, so a 1 MB value costs about ten encodings, not twenty) at
 * which the result's `encode(…).length` (bytes) is at most `maxBytes`. Returns undefined when the span does not
 * fit even with every value cut to TRIM_FLOOR_CHARACTERS (its bulk is elsewhere: the name, the endpoints, the
 * number of annotations or tags).
 */
export function trimmedToFit<E extends { readonly length: number }>(span: Span, maxBytes: number, encode: (span: Span) => E): TrimmedSpan<E> | undefined {
  let longest = 0;
  for (const value of Object.values(span.tags)) longest = Math.max(longest, value.length);
  for (const a of span.annotations) longest = Math.max(longest, a.value.length);
  if (longest <= TRIM_FLOOR_CHARACTERS) return undefined;
  const atFloor = withValuesCutAt(span, TRIM_FLOOR_CHARACTERS);
  let best = { span: atFloor, encoded: encode(atFloor) };
  if (best.encoded.length > maxBytes) return undefined;
  // the largest cap that fits lies in [floor, longest): fits(low) holds, fits(high) does not
  let low = TRIM_FLOOR_CHARACTERS;
  let high = longest;
  const close = Math.max(1, Math.floor(longest / 1024));
  while (high - low > close) {
    const mid = Math.floor((low + high) / 2);
    const candidate = withValuesCutAt(span, mid);
    const encoded = encode(candidate);
    if (encoded.length <= maxBytes) {
      low = mid;
      best = { span: candidate, encoded };
    } else {
      high = mid;
    }
  }
  return best;
}

/** `span` with each tag and annotation value longer than `cap` characters cut to `cap` (one less where `cap` would split a surrogate pair) and `cutMarker`. */
export function withValuesCutAt(span: Span, cap: number): Span {
  const cut = (value: string): string => {
    if (value.length <= cap) return value;
    // a cut between the two halves of a surrogate pair would leave a lone half: cut before it
    const end = isHighSurrogate(value.charCodeAt(cap - 1)) ? cap - 1 : cap;
    return value.slice(0, end) + cutMarker(value.length - end);
  };
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.tags)) tags[key] = cut(value);
  const annotations: Annotation[] = span.annotations.map((a) => (a.value.length <= cap ? a : { timestampMicros: a.timestampMicros, value: cut(a.value) }));
  return { ...span, tags, annotations };
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
