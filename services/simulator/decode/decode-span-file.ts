/**
 * A file of captured spans → model spans: a Zipkin v2 JSON array, v1 JSON array or v2 protobuf body
 * (decoded by shared/core/zipkin), or ndjson with one v2 span object per line (what `meshray capture` writes;
 * a dead-letter line, as `capture --dlq` and the all-in-one's DEAD_LETTER_FILE write, gives its `span`).
 */
import type { Issue, Result } from '../../../shared/core/result/result.ts';
import { fail, ok } from '../../../shared/core/result/result.ts';
import { decodeJsonV2, decodeSpans, detectFormat, type ZipkinFormat } from '../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';

export type SpanFileFormat = ZipkinFormat | 'ndjson';
export const SPAN_FILE_FORMATS: readonly SpanFileFormat[] = ['json-v2', 'json-v1', 'proto-v2', 'ndjson'];

export interface DecodedSpanFile {
  readonly format: SpanFileFormat;
  readonly spans: Span[];
  /** Dead-letter lines whose record held no readable span (`span: null`): nothing to send, skipped. */
  readonly deadLettersWithoutSpan?: number;
}

/** A dead-letter line's span as JSON text; null when the letter holds none; undefined when the line is not a dead letter. */
function deadLetterSpanOf(line: string): string | null | undefined {
  if (!line.includes('"errorCode"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined; // not JSON: the span reader names the line
  }
  if (parsed === null || typeof parsed !== 'object' || !('span' in parsed) || !('errorCode' in parsed)) return undefined;
  const span = (parsed as { span: unknown }).span;
  return span !== null && typeof span === 'object' ? JSON.stringify(span) : null;
}

const MAX_ISSUES = 50;

/** ndjson when the first non-blank character is `{`, else what `detectFormat` says. */
export function detectSpanFileFormat(body: Uint8Array): SpanFileFormat | undefined {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] === 0x7b /* { */ && body[0] !== 0x0a) return 'ndjson';
  return detectFormat(body);
}

export function decodeSpanFile(body: Uint8Array, format: SpanFileFormat | undefined = detectSpanFileFormat(body)): Result<DecodedSpanFile> {
  if (format === undefined) return fail([{ path: '', message: 'could not detect the format: expected a Zipkin v2 JSON array, v1 JSON array, v2 protobuf or ndjson (one span per line)' }]);
  if (format !== 'ndjson') {
    const decoded = decodeSpans(body, format);
    return decoded.ok ? ok({ format, spans: decoded.value }) : decoded;
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  const spans: Span[] = [];
  const issues: Issue[] = [];
  let deadLettersWithoutSpan = 0;
  for (let i = 0; i < lines.length && issues.length < MAX_ISSUES; i++) {
    const line = (lines[i] as string).trim();
    if (line.length === 0) continue;
    const where = `line ${i + 1}`;
    if (!line.startsWith('{')) {
      issues.push({ path: where, message: `expected one span object per line, got ${JSON.stringify(line.slice(0, 40))}` });
      continue;
    }
    const fromDeadLetter = deadLetterSpanOf(line);
    if (fromDeadLetter === null) {
      deadLettersWithoutSpan += 1;
      continue;
    }
    const decoded = decodeJsonV2(`[${fromDeadLetter ?? line}]`);
    if (decoded.ok) spans.push(...decoded.value);
    else for (const issue of decoded.issues) issues.push({ path: issue.path.replace(/^spans\[0\]/, where) || where, message: issue.message });
  }
  if (issues.length > 0) return fail(issues);
  return ok(deadLettersWithoutSpan > 0 ? { format, spans, deadLettersWithoutSpan } : { format, spans });
}
