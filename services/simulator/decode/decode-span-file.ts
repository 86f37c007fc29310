/**
 * The format of a file of captured spans, for `meshray send`: a Zipkin v2 JSON array, v1 JSON array or v2
 * protobuf body (shared/core/zipkin detectFormat), or ndjson with one v2 span object per line (what `meshray
 * capture` writes, a dead-letter file included). `send` then decodes it with the receiver's own decoders.
 */
import { detectFormat, type ZipkinFormat } from '../../../shared/core/zipkin/index.ts';

export type SpanFileFormat = ZipkinFormat | 'ndjson';
export const SPAN_FILE_FORMATS: readonly SpanFileFormat[] = ['json-v2', 'json-v1', 'proto-v2', 'ndjson'];

const isBlank = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * ndjson when the first non-blank character is `{`, else what `detectFormat` says. A body whose first byte is
 * 0x0a can also be protobuf (a ListOfSpans starts with field 1's tag, 0x0a): there it is ndjson only when its
 * first non-blank line parses as a JSON object.
 */
export function detectSpanFileFormat(body: Uint8Array): SpanFileFormat | undefined {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && isBlank(body[i])) i++;
  if (body[i] === 0x7b /* { */ && (body[0] !== 0x0a || firstLineIsJsonObject(body, i))) return 'ndjson';
  return detectFormat(body);
}

function firstLineIsJsonObject(body: Uint8Array, from: number): boolean {
  let end = body.indexOf(0x0a, from);
  if (end < 0) end = body.length;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(from, end)));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}
