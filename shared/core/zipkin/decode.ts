/** Decode stage: a Zipkin span body in any supported encoding → model spans. */
import { fail, ok, type Result } from '../result/result.ts';
import type { Span } from './span.ts';
import type { ZipkinFormat } from './detect.ts';
import { decodeJsonV1, decodeJsonV1Batch } from './decode-json-v1.ts';
import { decodeJsonV2, decodeJsonV2Batch, readSpansV2 } from './decode-json-v2.ts';
import { decodeProtoV2, decodeProtoV2Batch } from './decode-proto-v2.ts';
import type { RefusedSpan, SpanBatch } from './batch.ts';
import { parseJsonText, utf8Text } from './parse-json.ts';

export { detectFormat, type ZipkinFormat } from './detect.ts';

/**
 * Decodes and validates a whole body. Never throws for bad input: a body with any invalid span fails as a
 * whole, with every issue found (`spans[3].traceId: ...`). Size limits are the caller's business.
 */
export function decodeSpans(body: Uint8Array | string, format: ZipkinFormat): Result<Span[]> {
  switch (format) {
    case 'json-v2':
      return decodeJsonV2(body);
    case 'json-v1':
      return decodeJsonV1(body);
    case 'proto-v2':
      return decodeProtoV2(body);
    default:
      return fail([{ path: '', message: `unknown Zipkin format ${JSON.stringify(format as unknown)}` }]);
  }
}

/**
 * Decodes a body span by span (per-span isolation): the result fails only when the body cannot be parsed
 * at all (not JSON, not a list, not a ListOfSpans); otherwise it holds the accepted spans and each refused
 * span's index, field and reason. Never throws for bad input.
 */
export function decodeSpanBatch(body: Uint8Array | string, format: ZipkinFormat): Result<SpanBatch> {
  switch (format) {
    case 'json-v2':
      return decodeJsonV2Batch(body);
    case 'json-v1':
      return decodeJsonV1Batch(body);
    case 'proto-v2':
      return decodeProtoV2Batch(body);
    default:
      return fail([{ path: '', message: `unknown Zipkin format ${JSON.stringify(format as unknown)}` }]);
  }
}

/**
 * A line of a dead-letter file (`meshray capture --dlq`, format `dead-letters`; the all-in-one's
 * DEAD_LETTER_FILE): the dead letter's facts and its Zipkin v2 `span` (null when its record did not decode).
 * Told from a span by `errorCode` and `span` together: a Zipkin span has neither.
 */
export function isDeadLetterLine(value: unknown): value is { span: unknown; reason: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'span' in value && 'errorCode' in value;
}

/**
 * Decodes newline-delimited Zipkin v2 JSON (one span object per line, as `meshray capture --format ndjson`
 * writes; a dead-letter line, as `capture --dlq` writes, gives its `span`) span by span. Blank lines are skipped; a line that is not JSON refuses that span alone
 * (when no line is JSON, the whole input is refused: it is not ndjson). Spans are
 * numbered by their line (0-based, blank lines included), so a refusal names the line to look at.
 */
export function decodeNdjsonV2Batch(body: Uint8Array | string): Result<SpanBatch> {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    const decoded = utf8Text(body);
    if (!decoded.ok) return decoded;
    text = decoded.value;
  }
  const lines = text.split('\n');
  const spans: SpanBatch['spans'] = [];
  const bodyIndexes: number[] = [];
  const refused: RefusedSpan[] = [];
  let timestampUnitRepairs = 0;
  let anyJson = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = parseJsonText(line);
      anyJson = true;
    } catch (error) {
      const issue = { path: `spans[${i}]`, message: `line ${i + 1} is not JSON: ${(error as Error).message}` };
      refused.push({ index: i, field: '', reason: 'not_a_span', issues: [issue] });
      continue;
    }
    if (isDeadLetterLine(parsed)) {
      if (parsed.span === null || typeof parsed.span !== 'object') {
        const issue = { path: `spans[${i}]`, message: `line ${i + 1} is a dead letter (${String(parsed.reason)}) whose record held no readable span` };
        refused.push({ index: i, field: '', reason: 'not_a_span', issues: [issue] });
        continue;
      }
      parsed = parsed.span;
    }
    const one = readSpansV2([parsed], i);
    spans.push(...one.spans);
    bodyIndexes.push(...one.bodyIndexes);
    refused.push(...one.refused);
    timestampUnitRepairs += one.timestampUnitRepairs;
  }
  // Not one line is JSON: the input is not ndjson at all (a pretty-printed JSON file, say), one error for it
  // rather than a refusal per line.
  if (!anyJson && refused.length > 0) {
    return fail([{ path: '', message: `not newline-delimited JSON: no line is a JSON value (${refused[0]?.issues[0]?.message ?? ''})` }]);
  }
  return ok({ spans, bodyIndexes, refused, timestampUnitRepairs });
}
