/**
 * Which Zipkin encoding a body is in, from its Content-Type and its first bytes. Pure and cheap: JSON is
 * told apart from protobuf by its first non-blank byte, and v1 from v2 by scanning the keys of the first span
 * object only (no full parse).
 */
import { V1_ONLY_FIELD, V2_ONLY_FIELDS } from './validate.ts';

export type ZipkinFormat = 'json-v2' | 'json-v1' | 'proto-v2';

const PROTOBUF_CONTENT_TYPE = /^application\/(?:x-)?protobuf\b/i;
const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Protobuf tag of ListOfSpans field 1 (`spans`), wire type 2 (length-delimited). */
const LIST_OF_SPANS_FIELD_1 = 0x0a;

/** Keys of a span object that only one version has: the same lists the decoders judge each span by. */
const V1_SPAN_KEYS: ReadonlySet<string> = new Set([V1_ONLY_FIELD]);
const V2_SPAN_KEYS: ReadonlySet<string> = new Set(V2_ONLY_FIELDS);

/**
 * Detects the format of a span body:
 * - a protobuf Content-Type (`application/x-protobuf`, `application/protobuf`) wins → `proto-v2`;
 * - a body whose first non-blank byte (after an optional BOM) is `[` is JSON: `json-v1` when the first span
 *   has `binaryAnnotations` or annotations with an `endpoint`, else `json-v2` (also for `[]`, a span without
 *   decisive keys, or JSON the decoder will refuse); a body starting with `{` is `json-v2` (refused later as
 *   not a list);
 * - a body starting with 0x0a (ListOfSpans field 1) is `proto-v2`, even when the next byte reads as `[`/`{`;
 * - any other non-empty body under a JSON Content-Type is `json-v2`, so it is refused with a JSON message;
 * - otherwise (an empty body without a protobuf Content-Type, unrecognisable bytes) → `undefined`.
 * A caller that knows the endpoint (`/api/v1/spans` vs `/api/v2/spans`) may pass the format to
 * `decodeSpans` directly instead.
 */
export function detectFormat(body: Uint8Array, contentType?: string): ZipkinFormat | undefined {
  if (contentType !== undefined && PROTOBUF_CONTENT_TYPE.test(contentType)) return 'proto-v2';
  const start = skipBlank(body, body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
  const first = body[start];
  if (first === LEFT_BRACKET || first === LEFT_BRACE) {
    // A protobuf body starts with 0x0a ('\n') then the first span's length, which may be 91 ('[') or 123 ('{');
    // the span's own first bytes (0x0a 0x08 / 0x0a 0x10) cannot follow a JSON '[' or '{'.
    const next = body[skipBlank(body, start + 1)];
    const looksJson = first === LEFT_BRACKET ? startsJsonValue(next) : next === QUOTE || next === RIGHT_BRACE || next === undefined;
    if (looksJson || body[0] !== LIST_OF_SPANS_FIELD_1) {
      return first === LEFT_BRACKET ? detectJsonVersion(body, start + 1) : 'json-v2';
    }
  }
  if (body[0] === LIST_OF_SPANS_FIELD_1) return 'proto-v2';
  if (body.length > 0 && contentType !== undefined && JSON_CONTENT_TYPE.test(contentType)) return 'json-v2';
  return undefined;
}

/** True for a byte that can start a JSON value or close an array (or for a truncated body). */
function startsJsonValue(byte: number | undefined): boolean {
  if (byte === undefined) return true;
  if (byte >= 0x30 && byte <= 0x39) return true; // digit
  return (
    byte === LEFT_BRACE || byte === LEFT_BRACKET || byte === RIGHT_BRACKET || byte === QUOTE ||
    byte === 0x2d /* - */ || byte === 0x74 /* t */ || byte === 0x66 /* f */ || byte === 0x6e /* n */
  );
}

function isBlank(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipBlank(body: Uint8Array, from: number): number {
  let i = from;
  while (i < body.length && isBlank(body[i])) i++;
  return i;
}

/** Index just past the closing quote of the string whose opening quote is at `open`, or -1. */
function endOfString(body: Uint8Array, open: number): number {
  for (let i = open + 1; i < body.length; i++) {
    const byte = body[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  return -1;
}

function asciiKey(body: Uint8Array, from: number, to: number): string {
  if (to - from > 32) return '';
  let key = '';
  for (let i = from; i < to; i++) key += String.fromCharCode(body[i] as number);
  return key;
}

/**
 * Scans the elements of a JSON array (from just after its `[`) and decides v1 or v2 from the keys of the
 * span objects and of the objects in their `annotations` arrays. Stops at the first decisive key, which is
 * most often in the first span; a list where none has one is v2.
 */
function detectJsonVersion(body: Uint8Array, from: number): ZipkinFormat {
  const first = skipBlank(body, from);
  if (body[first] !== LEFT_BRACE) return 'json-v2';
  // depth 1 = the span object; depth 3 = an annotation object inside the span's `annotations` array
  let depth = 0;
  let expectKey = false;
  let spanKey = '';
  const containers: number[] = [];
  for (let i = first; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      const end = endOfString(body, i);
      if (end === -1) return 'json-v2';
      if (expectKey) {
        const key = asciiKey(body, i + 1, end - 1);
        if (depth === 1) {
          if (V1_SPAN_KEYS.has(key)) return 'json-v1';
          if (V2_SPAN_KEYS.has(key)) return 'json-v2';
          spanKey = key;
        } else if (depth === 3 && spanKey === 'annotations' && key === 'endpoint') {
          return 'json-v1';
        }
        expectKey = false;
      }
      i = end - 1;
    } else if (byte === LEFT_BRACE || byte === LEFT_BRACKET) {
      containers.push(byte);
      depth++;
      expectKey = byte === LEFT_BRACE;
    } else if (byte === RIGHT_BRACE || byte === RIGHT_BRACKET) {
      containers.pop();
      depth--;
      // the list's `]`: no span had a decisive key
      if (depth < 0) return 'json-v2';
      // a span without a decisive key (only name, timestamp, duration…): the next one may have one (found
      // by review: a plain first span made a v1 list read as v2, and every v1 span after it refused)
      if (depth === 0) spanKey = '';
      expectKey = false;
    } else if (byte === COMMA) {
      expectKey = containers[containers.length - 1] === LEFT_BRACE;
    } else if (byte === COLON) {
      expectKey = false;
    }
  }
  return 'json-v2';
}
