/** First decoding step of both JSON formats: bytes → text → a JSON array. */
import { fail, ok, type Result } from '../result/result.ts';
import { describe } from './issues.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Replacing = new TextDecoder('utf-8');

/**
 * A body's bytes as text, as Zipkin's collector reads them: malformed UTF-8 (a Latin-1 byte in one tag value)
 * becomes U+FFFD, and the spans are kept (zipkin2/internal/JsonCodec.java reads through an InputStreamReader
 * with UTF_8, whose decoder replaces malformed input). Compressed data sent without its Content-Encoding is
 * refused, and named (notUtf8Message), instead of being parsed as replacement characters.
 */
export function utf8Text(body: Uint8Array): Result<string> {
  try {
    return ok(utf8.decode(body));
  } catch {
    if (compressionHint(body) !== undefined || utf16Hint(body) !== undefined) return fail([{ path: '', message: notUtf8Message(body) }]);
    return ok(utf8Replacing.decode(body));
  }
}

/**
 * Why bytes are not UTF-8 text: gzip or zlib data sent without saying so (RFC 1952's magic 1f 8b; RFC 1950's
 * 78 xx header) is named, so the sender learns to set Content-Encoding (or to decompress the file).
 */
export function notUtf8Message(body: Uint8Array): string {
  const hint = compressionHint(body) ?? utf16Hint(body);
  return hint === undefined ? 'body is not valid UTF-8' : `body is not valid UTF-8: ${hint}`;
}

/** zlib's header second bytes for a 32 KiB window at its four compression levels (RFC 1950 §2.2). */
const ZLIB_SECOND_BYTES: ReadonlySet<number> = new Set([0x01, 0x5e, 0x9c, 0xda]);

/** What compressed data `body` looks like, said as advice, or undefined. */
export function compressionHint(body: Uint8Array): string | undefined {
  if (body[0] === 0x1f && body[1] === 0x8b) return 'it is gzip-compressed (starts with 1f 8b); send it with Content-Encoding: gzip, or decompress it';
  if (body[0] === 0x78 && ZLIB_SECOND_BYTES.has(body[1] ?? -1)) {
    return 'it looks zlib-compressed (a deflate header); send it with Content-Encoding: deflate, or decompress it';
  }
  return undefined;
}

const hex = (bytes: Uint8Array): string => [...bytes.subarray(0, 2)].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/**
 * Text in UTF-16, said as advice, or undefined: a byte-order mark (ff fe, fe ff), or a NUL byte beside an ASCII
 * one at the start (`[` of UTF-16 without a mark). JSON exchanged between systems is UTF-8 (RFC 8259 §8.1), as
 * Zipkin's collector reads it; a NUL byte is never valid JSON text.
 */
export function utf16Hint(body: Uint8Array): string | undefined {
  const [a, b] = [body[0], body[1]];
  if (a === undefined || b === undefined) return undefined;
  const bom = (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff);
  if (!bom && (a === 0) === (b === 0)) return undefined;
  return `it looks UTF-16-encoded (starts with ${hex(body)}); Zipkin JSON must be UTF-8: convert it (iconv -f UTF-16 -t UTF-8)`;
}

/**
 * A lone surrogate spelt as an escape: a high one (`\uD800`–`\uDBFF`) not followed by a low one, or a low
 * one (`\uDC00`–`\uDFFF`) not preceded by a high one. JSON text can spell a lone surrogate only so (raw
 * UTF-8 cannot). An escaped pair (Python's `json.dumps` writes every emoji so) is no match: JSON.parse alone.
 */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]/;

const isWellFormed = (s: string): boolean => s.isWellFormed();

/**
 * JSON.parse's reviver for a body with a surrogate escape: a lone surrogate (`"\ud800"` not followed by a
 * low one) in a value or a key becomes U+FFFD, as a UTF-8 decoder makes of malformed bytes (utf8Text), so that
 * every later stage (the Avro record, the X-Ray document, `meshray translate`) sees one and the same text.
 */
function wellFormed(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).every(isWellFormed)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k.toWellFormed(), { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * JSON.parse for a body's or a line's text, with each lone surrogate escape read as U+FFFD (`wellFormed`).
 * Throws JSON.parse's SyntaxError.
 */
export function parseJsonText(text: string): unknown {
  return text.includes('\\u') && LONE_SURROGATE_ESCAPE.test(text) ? JSON.parse(text, wellFormed) : JSON.parse(text);
}

/**
 * Why a body that is not JSON may be Zipkin protobuf sent as JSON: it starts with 0x0a, the tag of ListOfSpans'
 * field 1 (zipkin.proto: `repeated Span spans = 1`, length-delimited), followed by a Span whose first byte is
 * the tag of Span's field 1 (`trace_id`, 0x0a) after the length varint. Undefined otherwise (found by a newcomer
 * trial: the 400 gave JSON.parse's "Unexpected token" and no word of the Content-Type).
 */
function protobufHint(body: Uint8Array): string | undefined {
  if (body[0] !== 0x0a) return undefined;
  let pos = 1;
  let length = 0;
  let scale = 1;
  for (; pos < body.length && pos < 6; pos += 1) {
    length += ((body[pos] as number) & 0x7f) * scale;
    scale *= 128;
    if (((body[pos] as number) & 0x80) === 0) break;
  }
  // the span fits in what remains, and begins with a trace id of 8 or 16 bytes: JSON text with a leading
  // newline ("\n[\n…", "\n\n…") does not (found by the diff review)
  if (length > body.length - pos - 1 || body[pos + 1] !== 0x0a || (body[pos + 2] !== 0x08 && body[pos + 2] !== 0x10)) return undefined;
  return 'it starts like Zipkin v2 protobuf (a ListOfSpans), not JSON: POST it to /api/v2/spans with Content-Type: application/x-protobuf (meshray translate: --format proto-v2, or no --format)';
}

/** Parses a body that must be a JSON array (of spans). The BOM, if any, is skipped. */
export function parseJsonArray(body: Uint8Array | string): Result<unknown[]> {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    const decoded = utf8Text(body);
    if (!decoded.ok) return decoded;
    text = decoded.value;
  }
  let parsed: unknown;
  try {
    parsed = parseJsonText(text);
  } catch (error) {
    const hint = typeof body === 'string' ? undefined : utf16Hint(body) ?? protobufHint(body);
    const reason = hint ?? (error instanceof Error ? error.message : String(error));
    return fail([{ path: '', message: `body is not valid JSON: ${reason}` }]);
  }
  if (!Array.isArray(parsed)) {
    return fail([{ path: 'spans', message: `must be a JSON array of spans, got ${describe(parsed)}` }]);
  }
  return ok(parsed);
}
