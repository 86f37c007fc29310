import { fail, ok } from '../result/result.ts';
import type { Result } from '../result/result.ts';
import type { Annotation, Endpoint, Span, SpanKind } from '../zipkin/span.ts';

/**
 * The fingerprint of the one schema `readSpanDirect` reads and `writeSpanDirect` writes: span schema v1
 * (SPAN_SCHEMA_HISTORY). span-codec.ts uses them only while v1 is the current schema, and reads directly
 * only records written with v1; anything else goes through avsc (scanDatum first, schema resolution).
 */
export const DIRECT_CODEC_FINGERPRINT = '21c770ae4a6a8faf';

/**
 * Decodes Avro binary written with span schema v1 straight into a Span, in one pass: the same result as
 * scanDatum + avsc + the record → Span copy, without the intermediate record. Every length, block count,
 * union branch, enum index and long is checked before it is used (as scanDatum does), so garbage costs
 * at most work proportional to its size and never throws. Issue paths are scanDatum's
 * (`annotations[2].value`, `tags{key 3}`).
 *
 * Field order (must follow the v1 schema): traceId, id, parentId?, kind?, name?, timestampMicros?,
 * durationMicros?, localEndpoint?, remoteEndpoint?, annotations[], tags{}, debug?, shared?.
 */
export function readSpanDirect(buf: Buffer): Result<Span> {
  const r = new Reader(buf);
  let span: Span;
  try {
    span = r.span();
  } catch (e) {
    if (e instanceof ReadError) return fail([{ path: e.path, message: e.message }]);
    throw e;
  }
  if (r.pos !== buf.length) return fail([{ path: '', message: `${buf.length - r.pos} trailing byte(s) after the record` }]);
  return ok(span);
}

/**
 * Decodes a span-list value (schema v2: an Avro array of v1 spans, the record `meshray.zipkin.SpanList`) into
 * its spans, with the same checks as readSpanDirect; an issue's path names the item (`spans[3].traceId`).
 */
export function readSpanListDirect(buf: Buffer): Result<Span[]> {
  const r = new Reader(buf);
  const spans: Span[] = [];
  try {
    for (let count = r.listBlockCount(); count > 0; count = r.listBlockCount()) {
      for (let i = 0; i < count; i++) spans.push(r.listItem(spans.length));
    }
  } catch (e) {
    if (e instanceof ReadError) return fail([{ path: e.path, message: e.message }]);
    throw e;
  }
  if (r.pos !== buf.length) return fail([{ path: '', message: `${buf.length - r.pos} trailing byte(s) after the span list` }]);
  return ok(spans);
}

/** One item of a span-list value: its span's trace id and where its bytes lie in the value. */
export interface SpanListItem {
  readonly traceId: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The items of a span-list value (schema v2) with their trace ids, the rest of each span skipped, not
 * decoded: for splitting a list by trace without building its spans (shared/core/span-record/by-trace.ts).
 * It makes the same checks as readSpanListDirect, so it fails exactly when that does.
 */
export function readSpanListItemsDirect(buf: Buffer): Result<SpanListItem[]> {
  const r = new Reader(buf);
  const items: SpanListItem[] = [];
  try {
    for (let count = r.listBlockCount(); count > 0; count = r.listBlockCount()) {
      for (let i = 0; i < count; i++) {
        const start = r.pos;
        const traceId = r.listItemSkipped(items.length);
        items.push({ traceId, start, end: r.pos });
      }
    }
  } catch (e) {
    if (e instanceof ReadError) return fail([{ path: e.path, message: e.message }]);
    throw e;
  }
  if (r.pos !== buf.length) return fail([{ path: '', message: `${buf.length - r.pos} trailing byte(s) after the span list` }]);
  return ok(items);
}

/** The bytes of item `index` of a span-list value: a v1 span record value of its own; undefined when unreadable. */
export function spanListItemBytes(buf: Buffer, index: number): Buffer | undefined {
  const r = new Reader(buf);
  let at = 0;
  try {
    for (let count = r.listBlockCount(); count > 0; count = r.listBlockCount()) {
      for (let i = 0; i < count; i++, at++) {
        const start = r.pos;
        r.listItem(at);
        if (at === index) return buf.subarray(start, r.pos);
      }
    }
  } catch (e) {
    if (e instanceof ReadError) return undefined;
    throw e;
  }
  return undefined;
}

class ReadError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** Largest |long| avsc's long type reads or writes (2^53 - 2); beyond, a JS number loses precision. */
const MAX_SAFE_LONG = 9_007_199_254_740_990;

/** The v1 SpanKind symbols by index; index 4 (UNKNOWN) decodes as "kind absent". */
const KINDS: readonly (SpanKind | undefined)[] = ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER', undefined];

/** Buffer's undocumented but stable decoder (avsc uses it too): skips toString's argument handling. */
interface NodeBuffer extends Buffer { utf8Slice(start: number, end: number): string }

type MutableSpan = { -readonly [K in keyof Span]: Span[K] };
type MutableEndpoint = { -readonly [K in keyof Endpoint]: Endpoint[K] };

/**
 * Issue paths are constants, `#` standing for the item index: the string is only built when there is an
 * issue, so the happy path allocates nothing for them.
 */
interface EndpointPaths { readonly serviceName: string; readonly ipv4: string; readonly ipv6: string; readonly port: string }
const endpointPaths = (field: string): EndpointPaths => ({
  serviceName: `${field}.serviceName`, ipv4: `${field}.ipv4`, ipv6: `${field}.ipv6`, port: `${field}.port`,
});
const LOCAL_ENDPOINT = endpointPaths('localEndpoint');
const REMOTE_ENDPOINT = endpointPaths('remoteEndpoint');

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  span(): Span {
    const traceId = this.string('traceId');
    const id = this.string('id');
    const parentId = this.branch('parentId') ? this.string('parentId') : undefined;
    let kind: SpanKind | undefined;
    if (this.branch('kind')) {
      const index = this.varint('kind', -1, 10);
      if (index < 0 || index >= KINDS.length) throw new ReadError('kind', `enum index ${index} out of range 0..${KINDS.length - 1}`);
      kind = KINDS[index];
    }
    const name = this.branch('name') ? this.string('name') : undefined;
    const timestampMicros = this.branch('timestampMicros') ? this.varint('timestampMicros', -1, 10) : undefined;
    const durationMicros = this.branch('durationMicros') ? this.varint('durationMicros', -1, 10) : undefined;
    const localEndpoint = this.branch('localEndpoint') ? this.endpoint(LOCAL_ENDPOINT) : undefined;
    const remoteEndpoint = this.branch('remoteEndpoint') ? this.endpoint(REMOTE_ENDPOINT) : undefined;
    const annotations = this.annotations();
    const tags = this.tags();
    const debug = this.branch('debug') ? this.boolean('debug') : undefined;
    const shared = this.branch('shared') ? this.boolean('shared') : undefined;
    // Same key order as the avsc path's Span, one assignment per present field.
    const span = { traceId, id } as MutableSpan;
    if (parentId !== undefined) span.parentId = parentId;
    if (kind !== undefined) span.kind = kind;
    if (name !== undefined) span.name = name;
    if (timestampMicros !== undefined) span.timestampMicros = timestampMicros;
    if (durationMicros !== undefined) span.durationMicros = durationMicros;
    if (localEndpoint !== undefined) span.localEndpoint = localEndpoint;
    if (remoteEndpoint !== undefined) span.remoteEndpoint = remoteEndpoint;
    span.annotations = annotations;
    span.tags = tags;
    if (debug !== undefined) span.debug = debug;
    if (shared !== undefined) span.shared = shared;
    return span;
  }

  /** `span()`'s reads and checks, keeping only the trace id: nothing else is decoded. */
  skipSpan(): string {
    const traceId = this.string('traceId');
    this.skipString('id');
    if (this.branch('parentId')) this.skipString('parentId');
    if (this.branch('kind')) {
      const index = this.varint('kind', -1, 10);
      if (index < 0 || index >= KINDS.length) throw new ReadError('kind', `enum index ${index} out of range 0..${KINDS.length - 1}`);
    }
    if (this.branch('name')) this.skipString('name');
    if (this.branch('timestampMicros')) this.varint('timestampMicros', -1, 10);
    if (this.branch('durationMicros')) this.varint('durationMicros', -1, 10);
    if (this.branch('localEndpoint')) this.skipEndpoint(LOCAL_ENDPOINT);
    if (this.branch('remoteEndpoint')) this.skipEndpoint(REMOTE_ENDPOINT);
    for (let count = this.blockCount('annotations', 2), at = 0; count > 0; count = this.blockCount('annotations', 2)) {
      for (let i = 0; i < count; i++, at++) {
        this.varint('annotations[#].timestampMicros', at, 10);
        this.skipString('annotations[#].value', at);
      }
    }
    for (let count = this.blockCount('tags', 2), at = 0; count > 0; count = this.blockCount('tags', 2)) {
      for (let i = 0; i < count; i++, at++) {
        this.skipString('tags{key #}', at);
        this.skipString('tags{#}', at);
      }
    }
    if (this.branch('debug')) this.boolean('debug');
    if (this.branch('shared')) this.boolean('shared');
    return traceId;
  }

  /** `listItem`, skipped (skipSpan): the item's trace id. */
  listItemSkipped(index: number): string {
    try {
      return this.skipSpan();
    } catch (e) {
      if (e instanceof ReadError) throw new ReadError(`spans[${index}].${e.path}`, e.message);
      throw e;
    }
  }

  private skipEndpoint(paths: EndpointPaths): void {
    if (this.branch(paths.serviceName)) this.skipString(paths.serviceName);
    if (this.branch(paths.ipv4)) this.skipString(paths.ipv4);
    if (this.branch(paths.ipv6)) this.skipString(paths.ipv6);
    if (this.branch(paths.port)) this.varint(paths.port, -1, 5);
  }

  private endpoint(paths: EndpointPaths): Endpoint {
    const e: MutableEndpoint = {};
    if (this.branch(paths.serviceName)) e.serviceName = this.string(paths.serviceName);
    if (this.branch(paths.ipv4)) e.ipv4 = this.string(paths.ipv4);
    if (this.branch(paths.ipv6)) e.ipv6 = this.string(paths.ipv6);
    if (this.branch(paths.port)) e.port = this.varint(paths.port, -1, 5);
    return e;
  }

  /** Array of {timestampMicros: long, value: string}: each item takes at least 2 bytes. */
  private annotations(): Annotation[] {
    const out: Annotation[] = [];
    for (let count = this.blockCount('annotations', 2); count > 0; count = this.blockCount('annotations', 2)) {
      for (let i = 0; i < count; i++) {
        const at = out.length;
        const timestampMicros = this.varint('annotations[#].timestampMicros', at, 10);
        const value = this.string('annotations[#].value', at);
        out.push({ timestampMicros, value });
      }
    }
    return out;
  }

  /** Map of string: each entry takes at least 2 bytes (key length, value length). */
  private tags(): Record<string, string> {
    const tags: Record<string, string> = {};
    let at = 0;
    for (let count = this.blockCount('tags', 2); count > 0; count = this.blockCount('tags', 2)) {
      for (let i = 0; i < count; i++, at++) {
        const key = this.tagKey(at);
        const value = this.string('tags{#}', at);
        // A tag named "__proto__" stays an ordinary key.
        if (key === '__proto__') Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
        else tags[key] = value;
      }
    }
    return tags;
  }

  /**
   * A tag key. Spans of one mesh carry the same keys in the same order, so the key last read at this
   * position is compared byte for byte first: a hit returns that (already internalized) string, which
   * makes adding it to the tags object much cheaper than a freshly decoded one.
   */
  private tagKey(at: number): string {
    const length = this.varint('tags{key #}', at, 10);
    if (length < 0) throw new ReadError(atPath('tags{key #}', at), `negative length ${length}`);
    const buf = this.buf;
    const start = this.pos;
    const end = start + length;
    if (end > buf.length) throw new ReadError(atPath('tags{key #}', at), `truncated: needs ${length} byte(s), ${buf.length - start} left`);
    this.pos = end;
    const cached = at < KEY_CACHE_SIZE ? KEY_CACHE[at] : undefined;
    if (cached !== undefined && cached.bytes.length === length) {
      const bytes = cached.bytes;
      let i = 0;
      while (i < length && bytes[i] === buf[start + i]) i++;
      if (i === length) return cached.key;
    }
    const key = (buf as NodeBuffer).utf8Slice(start, end);
    if (at < KEY_CACHE_SIZE && length <= KEY_CACHE_MAX_BYTES) KEY_CACHE[at] = { bytes: Uint8Array.prototype.slice.call(buf, start, end), key };
    return key;
  }

  /** The next block's item count (0 ends the array or map), refused when the bytes left cannot hold it. */
  /** A span list's next block count (a v1 span takes at least 2 + 11 bytes: two ids' lengths, nulls, empty array and map). */
  listBlockCount(): number {
    return this.blockCount('spans', 13);
  }

  /** Item `index` of a span list; its issues are prefixed `spans[index].`. */
  listItem(index: number): Span {
    try {
      return this.span();
    } catch (e) {
      if (e instanceof ReadError) throw new ReadError(`spans[${index}].${e.path}`, e.message);
      throw e;
    }
  }

  private blockCount(path: string, itemMinBytes: number): number {
    let count = this.varint(path, -1, 10);
    if (count === 0) return 0;
    if (count < 0) {
      count = -count;
      const size = this.varint(path, -1, 10);
      if (size < 0) throw new ReadError(path, `negative block size ${size}`);
    }
    const left = this.buf.length - this.pos;
    if (count > left / itemMinBytes) throw new ReadError(path, `block of ${count} item(s) cannot fit in the ${left} byte(s) left`);
    return count;
  }

  /** A `["null", T]` union's branch: false for null, true for T. */
  private branch(path: string): boolean {
    const index = this.varint(path, -1, 10);
    if (index === 0) return false;
    if (index === 1) return true;
    throw new ReadError(path, `union branch ${index} out of range 0..1`);
  }

  private boolean(path: string): boolean {
    const b = this.buf[this.pos];
    if (b === undefined) throw new ReadError(path, 'truncated: input ends before a boolean');
    if (b > 1) throw new ReadError(path, `invalid boolean byte ${b}`);
    this.pos++;
    return b === 1;
  }

  /** `string()`'s checks without decoding it. */
  private skipString(path: string, item = -1): void {
    const length = this.varint(path, item, 10);
    if (length < 0) throw new ReadError(atPath(path, item), `negative length ${length}`);
    const end = this.pos + length;
    if (end > this.buf.length) {
      throw new ReadError(atPath(path, item), `truncated: needs ${length} byte(s), ${this.buf.length - this.pos} left`);
    }
    this.pos = end;
  }

  private string(path: string, item = -1): string {
    const length = this.varint(path, item, 10);
    if (length < 0) throw new ReadError(atPath(path, item), `negative length ${length}`);
    const start = this.pos;
    const end = start + length;
    if (end > this.buf.length) {
      throw new ReadError(atPath(path, item), `truncated: needs ${length} byte(s), ${this.buf.length - start} left`);
    }
    this.pos = end;
    return (this.buf as NodeBuffer).utf8Slice(start, end);
  }

  /** Zigzag varint, at most `maxBytes` bytes; a long beyond ±MAX_SAFE_LONG is refused. */
  private varint(path: string, item: number, maxBytes: number): number {
    const buf = this.buf;
    let byte = buf[this.pos];
    if (byte !== undefined && byte < 0x80) { // one byte: lengths, counts, branches, small values
      this.pos++;
      return (byte & 1) === 0 ? byte >>> 1 : -((byte + 1) >>> 1);
    }
    let magnitude = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      byte = buf[this.pos];
      if (byte === undefined) throw new ReadError(atPath(path, item), 'truncated: input ends inside a number');
      this.pos++;
      magnitude += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) {
        if (magnitude > 2 * MAX_SAFE_LONG) {
          throw new ReadError(atPath(path, item), 'long beyond ±(2^53 - 2) cannot be represented exactly');
        }
        return magnitude % 2 === 0 ? magnitude / 2 : -(magnitude + 1) / 2;
      }
    }
    throw new ReadError(atPath(path, item), `malformed varint (more than ${maxBytes} bytes)`);
  }
}

/** Tag keys last read at each position (pure memoisation: the result never depends on it). */
const KEY_CACHE_SIZE = 64;
const KEY_CACHE_MAX_BYTES = 128;
const KEY_CACHE: ({ readonly bytes: Uint8Array; readonly key: string } | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);

/** The issue path: `#` replaced by the item index. */
const atPath = (path: string, item: number): string => (item < 0 ? path : path.replace('#', String(item)));
