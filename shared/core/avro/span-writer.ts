import type { Endpoint, Span, SpanKind } from '../zipkin/span.ts';
import { UNKNOWN_KIND_SYMBOL } from './span-schema.ts';

/**
 * Avro-encodes a span with span schema v1 (DIRECT_READER_FINGERPRINT) straight from the Span model: the
 * same bytes as avsc's `toBuffer` of the record copy, without the copy, avsc's union dispatch or its
 * zero-filled output buffer. Values are checked as avsc checks them (a long is an integer within
 * ±(2^53 - 2), an int a 32-bit integer, strings and booleans of their type, a known kind) and a bad one
 * throws: it breaks the Span type's contract, a bug upstream. A unit test holds the bytes to avsc's.
 */
export function writeSpanDirect(span: Span): Buffer {
  pos = 0;
  writeSpan(span);
  return takeScratch();
}

/**
 * The v1 datums of `spans`, one after the other, in one buffer: the items of a span-list value (schema v2)
 * without the array's block count and end (spanListValueOf adds them). Throws as writeSpanDirect does.
 */
export function writeSpanItemsDirect(spans: readonly Span[]): Buffer {
  pos = 0;
  for (let i = 0; i < spans.length; i++) writeSpan(spans[i] as Span);
  return takeScratch();
}

function writeSpan(span: Span): void {
  writeString(span.traceId);
  writeString(span.id);
  writeOptionalString(span.parentId);
  if (span.kind === undefined) {
    writeByte(0);
  } else {
    const index = KIND_INDEX.get(span.kind);
    if (index === undefined) invalid('kind', span.kind);
    writeByte(2);
    writeByte(index * 2);
  }
  writeOptionalString(span.name);
  writeOptionalLong(span.timestampMicros);
  writeOptionalLong(span.durationMicros);
  writeEndpoint(span.localEndpoint);
  writeEndpoint(span.remoteEndpoint);
  const annotations = span.annotations;
  if (annotations.length > 0) {
    writeLong(annotations.length);
    for (const a of annotations) {
      writeLong(a.timestampMicros);
      writeString(a.value);
    }
  }
  writeByte(0);
  const tags = span.tags;
  const keys = Object.keys(tags);
  if (keys.length > 0) {
    writeLong(keys.length);
    for (const key of keys) {
      writeString(key);
      writeString(tags[key] as string);
    }
  }
  writeByte(0);
  writeOptionalBoolean(span.debug);
  writeOptionalBoolean(span.shared);
}

function takeScratch(): Buffer {
  // A pooled copy (Buffer.allocUnsafe slices a shared 8 KiB slab for small sizes) of the scratch bytes.
  const out = Buffer.allocUnsafe(pos);
  scratch.copy(out, 0, 0, pos);
  if (scratch.length > 64 * SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES); // a huge span: do not keep its room
  return out;
}

/** v1 SpanKind symbol indices (an absent kind is written as null). */
const KIND_INDEX: ReadonlyMap<string, number> = new Map<string, number>([
  ...(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] satisfies SpanKind[]).map((k, i) => [k, i] as const),
  [UNKNOWN_KIND_SYMBOL, 4], // not a SpanKind, but avsc wrote it when given it
]);

/** Largest |long| avsc's long type writes (2^53 - 2). */
const MAX_SAFE_LONG = 9_007_199_254_740_990;

/** Buffer's undocumented but stable encoder (avsc uses it too). */
interface NodeBuffer extends Buffer { utf8Write(s: string, offset: number, length: number): number }

/** The encoder's reusable output area (grown on demand) and write position: encoding is synchronous. */
const SCRATCH_BYTES = 16 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
let pos = 0;

function invalid(what: string, value: unknown): never {
  throw new Error(`invalid span ${what} for Avro: ${JSON.stringify(value) ?? String(value)}`);
}

/** Room for `n` more bytes at `pos`. */
function reserve(n: number): void {
  if (pos + n <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, pos + n));
  scratch.copy(grown, 0, 0, pos);
  scratch = grown;
}

function writeByte(b: number): void {
  reserve(1);
  scratch[pos++] = b;
}

/** Zigzag varint of an integer within ±(2^53 - 2), as avsc writes it. */
function writeLong(n: number): void {
  if (typeof n !== 'number' || n % 1 !== 0 || !(n >= -MAX_SAFE_LONG && n <= MAX_SAFE_LONG)) invalid('long', n);
  reserve(10);
  const buf = scratch;
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[pos++] = m;
    return;
  }
  let f = n >= 0 ? n * 2 : -n * 2 - 1;
  while (f >= 128) {
    buf[pos++] = (f % 128) | 0x80;
    f = Math.floor(f / 128);
  }
  buf[pos++] = f;
}

function writeInt(n: number): void {
  if (n !== (n | 0)) invalid('int', n);
  writeLong(n);
}

/**
 * UTF-8 with its byte length first, as avsc writes it, except that a lone surrogate (from a JSON `\ud800`
 * escape, or a protobuf string of invalid UTF-8) is written as U+FFFD in a string of any length: avsc's own
 * loop for strings of at most 64 bytes wrote its 3-byte (CESU) form, which is not UTF-8 and read back as three
 * U+FFFD, while longer strings went through utf8Write (one U+FFFD). Kafka's span topic holds UTF-8 only.
 */
function writeString(s: string): void {
  if (typeof s !== 'string') invalid('string', s);
  const chars = s.length;
  if (chars <= 63) {
    // ASCII fast path: the length (<= 63) is one varint byte.
    reserve(1 + chars);
    const buf = scratch;
    const start = pos + 1;
    let i = 0;
    for (; i < chars; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    if (i === chars) {
      buf[pos] = chars << 1;
      pos = start + chars;
      return;
    }
  }
  const length = Buffer.byteLength(s);
  writeLong(length);
  reserve(length);
  if (length > 64) {
    pos += (scratch as NodeBuffer).utf8Write(s, pos, length);
    return;
  }
  const buf = scratch;
  for (let i = 0; i < chars; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = (c >> 6) | 0xc0;
      buf[pos++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(i + 1) & 0x03ff);
      i++;
      buf[pos++] = (c >> 18) | 0xf0;
      buf[pos++] = ((c >> 12) & 0x3f) | 0x80;
      buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c & 0x3f) | 0x80;
    } else {
      // a lone surrogate is not UTF-8: U+FFFD, as Buffer's utf8Write (and TextEncoder) write it (three bytes too)
      if ((c & 0xf800) === 0xd800) c = 0xfffd;
      buf[pos++] = (c >> 12) | 0xe0;
      buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c & 0x3f) | 0x80;
    }
  }
}

function writeOptionalString(s: string | undefined): void {
  if (s === undefined || s === null) {
    writeByte(0);
    return;
  }
  writeByte(2);
  writeString(s);
}

function writeOptionalLong(n: number | undefined): void {
  if (n === undefined || n === null) {
    writeByte(0);
    return;
  }
  writeByte(2);
  writeLong(n);
}

function writeOptionalBoolean(b: boolean | undefined): void {
  if (b === undefined || b === null) {
    writeByte(0);
    return;
  }
  if (typeof b !== 'boolean') invalid('boolean', b);
  writeByte(2);
  writeByte(b ? 1 : 0);
}

function writeEndpoint(e: Endpoint | undefined): void {
  if (e === undefined || e === null) {
    writeByte(0);
    return;
  }
  writeByte(2);
  writeOptionalString(e.serviceName);
  writeOptionalString(e.ipv4);
  writeOptionalString(e.ipv6);
  if (e.port === undefined || e.port === null) {
    writeByte(0);
  } else {
    writeByte(2);
    writeInt(e.port);
  }
}
