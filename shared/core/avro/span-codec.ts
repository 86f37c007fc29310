import type { Resolver, Type } from 'avsc';
import { fail, ok } from '../result/result.ts';
import type { Result } from '../result/result.ts';
import type { Annotation, Endpoint, Span, SpanKind } from '../zipkin/span.ts';
import { fingerprintOf, parseKnownSchema } from './avro-type.ts';
import { scanDatum } from './scan.ts';
import { DIRECT_CODEC_FINGERPRINT, readSpanDirect, readSpanListDirect, readSpanListItemsDirect, spanListItemBytes, type SpanListItem } from './span-reader.ts';

export type { SpanListItem } from './span-reader.ts';
import { writeSpanDirect, writeSpanItemsDirect } from './span-writer.ts';
import { SPAN_LIST_SCHEMA, SPAN_SCHEMA, UNKNOWN_KIND_SYMBOL } from './span-schema.ts';
import { SPAN_SCHEMA_HISTORY } from './span-schema-history.ts';
// The record header that names the writer schema belongs to the span-record contract.
import { SPAN_SCHEMA_HEADER } from '../span-record/headers.ts';

const SPAN_TYPE: Type = parseKnownSchema(SPAN_SCHEMA);

/** CRC-64-AVRO fingerprint (16 hex digits) of the current span schema's Parsing Canonical Form. */
export const SPAN_SCHEMA_FINGERPRINT: string = fingerprintOf(SPAN_TYPE);

interface WriterSchema {
  readonly version: number;
  readonly type: Type;
  /** Absent for the current schema (no resolution needed). */
  readonly resolver?: Resolver;
  /** Records of this writer are read by readSpanDirect (one pass, no avsc record in between). */
  readonly direct: boolean;
}

/** The direct reader reads v1 into the Span model; only while v1 is also the current schema (reader). */
const isDirect = (fingerprint: string): boolean =>
  fingerprint === DIRECT_CODEC_FINGERPRINT && SPAN_SCHEMA_FINGERPRINT === DIRECT_CODEC_FINGERPRINT;

/** Released single-span writer schemas by fingerprint; resolvers are built once, here (pure computation). */
const WRITERS: ReadonlyMap<string, WriterSchema> = new Map(
  SPAN_SCHEMA_HISTORY.filter((v) => v.shape === 'span').map((v) => {
    const type = parseKnownSchema(v.schema);
    const fingerprint = fingerprintOf(type);
    const writer: WriterSchema = fingerprint === SPAN_SCHEMA_FINGERPRINT
      ? { version: v.version, type: SPAN_TYPE, direct: isDirect(fingerprint) }
      : { version: v.version, type, resolver: SPAN_TYPE.createResolver(type), direct: isDirect(fingerprint) };
    return [fingerprint, writer] as const;
  }),
);
const DIRECT_ENCODE = SPAN_SCHEMA_FINGERPRINT === DIRECT_CODEC_FINGERPRINT;

const SPAN_LIST_TYPE: Type = parseKnownSchema(SPAN_LIST_SCHEMA);

/** Fingerprint of the span-list schema (v2) the receiver writes: the `meshray-schema` header of its records. */
export const SPAN_LIST_SCHEMA_FINGERPRINT: string = fingerprintOf(SPAN_LIST_TYPE);

/** Released span-list writer schemas by fingerprint: their items are the current span schema (v1) today. */
const LIST_WRITERS: ReadonlySet<string> = new Set(
  SPAN_SCHEMA_HISTORY.filter((v) => v.shape === 'span-list').map((v) => fingerprintOf(parseKnownSchema(v.schema))),
);

/** True when `writerFingerprint` names a span-list schema (the record value holds many spans). */
export function isSpanListFingerprint(writerFingerprint: string | undefined): boolean {
  return writerFingerprint !== undefined && LIST_WRITERS.has(writerFingerprint);
}

/**
 * The v1 datums of `spans`, back to back: a chunk of span-list items (spanListValueOf joins chunks). Throws
 * as encodeSpan does.
 */
export function encodeSpanItems(spans: readonly Span[]): Buffer {
  return DIRECT_ENCODE ? writeSpanItemsDirect(spans) : Buffer.concat(spans.map((s) => SPAN_TYPE.toBuffer(toRecord(s))));
}

/** A span-list value (schema v2) of `count` spans whose items are `chunks` (from encodeSpanItems), in order. */
export function spanListValueOf(chunks: readonly Buffer[], count: number): Buffer {
  if (count === 0) return Buffer.from([0]);
  const head = zigzagVarint(count);
  let length = head.length + 1;
  for (const c of chunks) length += c.length;
  const out = Buffer.allocUnsafe(length);
  let at = head.copy(out, 0);
  for (const c of chunks) at += c.copy(out, at);
  out[at] = 0;
  return out;
}

function zigzagVarint(n: number): Buffer {
  const bytes: number[] = [];
  let f = n * 2;
  while (f >= 128) {
    bytes.push((f % 128) | 0x80);
    f = Math.floor(f / 128);
  }
  bytes.push(f);
  return Buffer.from(bytes);
}

/**
 * Decodes a record value into its spans, whatever its writer: a single-span schema (v1) gives one span, a
 * span-list schema (v2) all of its items. Never throws for bad input (issues, as decodeSpan).
 */
export function decodeSpans(bytes: Uint8Array, writerFingerprint?: string): Result<Span[]> {
  return decodeSpansVia(bytes, writerFingerprint, true);
}

/** decodeSpans, with the direct reader allowed or not (`false`: avsc). For the tests; not package API. */
export function decodeSpansVia(bytes: Uint8Array, writerFingerprint: string | undefined, direct: boolean): Result<Span[]> {
  if (!isSpanListFingerprint(writerFingerprint)) {
    const one = decodeSpanVia(bytes, writerFingerprint, direct);
    return one.ok ? ok([one.value]) : one;
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (direct && DIRECT_ENCODE) return readSpanListDirect(buf);
  const problem = scanDatum(SPAN_LIST_TYPE, buf);
  if (problem) return fail([problem]);
  try {
    return ok((SPAN_LIST_TYPE.fromBuffer(buf) as { spans: SpanRecord[] }).spans.map(fromRecord));
  } catch (e) {
    return fail([{ path: '', message: `invalid Avro span list: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

/**
 * The items of a value written with the current span-list schema (`writerFingerprint` must be
 * SPAN_LIST_SCHEMA_FINGERPRINT): each span's trace id and byte range, nothing else decoded; an issue exactly
 * when decodeSpans would give one. undefined for any other writer, or when the direct reader does not apply
 * (then decode the spans).
 */
export function spanListItemsOf(bytes: Buffer, writerFingerprint: string | undefined): Result<SpanListItem[]> | undefined {
  if (writerFingerprint !== SPAN_LIST_SCHEMA_FINGERPRINT || !DIRECT_ENCODE) return undefined;
  return readSpanListItemsDirect(bytes);
}

/**
 * The v1 value of span `index` of a record value: the value itself for a single-span writer, the item's bytes
 * for a span list; undefined when the value cannot be read that far.
 */
export function spanItemValueOf(bytes: Buffer, writerFingerprint: string | undefined, index: number): Buffer | undefined {
  if (!isSpanListFingerprint(writerFingerprint)) return index === 0 ? bytes : undefined;
  return spanListItemBytes(bytes, index);
}
const CURRENT_WRITER: WriterSchema = { version: 0, type: SPAN_TYPE, direct: isDirect(SPAN_SCHEMA_FINGERPRINT) };

/**
 * Avro-encodes a span with the current schema. Send SPAN_SCHEMA_FINGERPRINT in the
 * SPAN_SCHEMA_HEADER header with it. Throws only for a value that breaks the Span type's own
 * contract (e.g. a fractional or beyond-2^53 timestamp, a non-integer port): a bug upstream.
 */
export function encodeSpan(span: Span): Buffer {
  return encodeSpanVia(span, true);
}

/** encodeSpan, with the direct writer allowed or not (`false`: avsc). For the tests; not package API. */
export function encodeSpanVia(span: Span, direct: boolean): Buffer {
  return direct && DIRECT_ENCODE ? writeSpanDirect(span) : SPAN_TYPE.toBuffer(toRecord(span));
}

/**
 * Decodes an Avro span written with the schema whose fingerprint is `writerFingerprint` (the
 * SPAN_SCHEMA_HEADER value; the current schema when absent), resolving older released versions to
 * the current one. Never throws for bad input: garbage, truncation, unknown fingerprints and longs
 * beyond 2^53 come back as issues.
 */
export function decodeSpan(bytes: Uint8Array, writerFingerprint?: string): Result<Span> {
  return decodeSpanVia(bytes, writerFingerprint, true);
}

/**
 * decodeSpan, with the direct reader allowed or not: `direct = false` always takes the general path
 * (scanDatum, then avsc with schema resolution, then the record → Span copy). Exported for the tests
 * that hold both paths to the same answers; not part of the package's API.
 */
export function decodeSpanVia(bytes: Uint8Array, writerFingerprint: string | undefined, direct: boolean): Result<Span> {
  const writer = writerFingerprint === undefined
    ? CURRENT_WRITER
    : WRITERS.get(writerFingerprint) ?? WRITERS.get(writerFingerprint.trim().toLowerCase());
  if (writer === undefined) {
    if (isSpanListFingerprint(writerFingerprint)) return fail([{ path: SPAN_SCHEMA_HEADER, message: 'the record holds a span list: read it with decodeSpans' }]);
    return fail([{
      path: SPAN_SCHEMA_HEADER,
      message: `unknown span schema fingerprint ${JSON.stringify(writerFingerprint)} (known: ${[...WRITERS.keys()].join(', ')})`,
    }]);
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (direct && writer.direct) return readSpanDirect(buf);
  const problem = scanDatum(writer.type, buf);
  if (problem) return fail([problem]);
  let record: unknown;
  try {
    record = writer.resolver ? SPAN_TYPE.fromBuffer(buf, writer.resolver) : SPAN_TYPE.fromBuffer(buf);
  } catch (e) {
    return fail([{ path: '', message: `invalid Avro span: ${e instanceof Error ? e.message : String(e)}` }]);
  }
  return ok(fromRecord(record as SpanRecord));
}

/** The Avro record shape of SPAN_SCHEMA as avsc reads/writes it (unions unwrapped, null = absent). */
interface EndpointRecord {
  serviceName: string | null;
  ipv4: string | null;
  ipv6: string | null;
  port: number | null;
}

interface SpanRecord {
  traceId: string;
  id: string;
  parentId: string | null;
  kind: string | null;
  name: string | null;
  timestampMicros: number | null;
  durationMicros: number | null;
  localEndpoint: EndpointRecord | null;
  remoteEndpoint: EndpointRecord | null;
  annotations: { timestampMicros: number; value: string }[];
  tags: Record<string, string>;
  debug: boolean | null;
  shared: boolean | null;
}

/**
 * `text` as well-formed UTF-16: a lone surrogate becomes U+FFFD, as the direct writer (span-writer.ts) writes it.
 * avsc writes a string of at most 64 UTF-8 bytes with its own loop, which gives a lone surrogate's CESU-8 bytes,
 * not UTF-8: the same span must be the same bytes on either path (the avsc path runs when the schema no longer
 * matches the direct codec's). One exception: two tag names that differ only in their lone surrogates become
 * one tag here (an object holds a key once) and two map entries of one name on the direct path; they decode
 * alike (the last wins), and no decoder makes such a span (zipkin/parse-json.ts merges them already).
 */
const wf = (text: string): string => (text.isWellFormed() ? text : text.toWellFormed());
const wfOrNull = (text: string | undefined): string | null => (text === undefined ? null : wf(text));

const toEndpointRecord = (e: Endpoint | undefined): EndpointRecord | null =>
  e === undefined
    ? null
    : { serviceName: wfOrNull(e.serviceName), ipv4: wfOrNull(e.ipv4), ipv6: wfOrNull(e.ipv6), port: e.port ?? null };

/** A null-prototype copy of `tags` (tag names such as "__proto__" stay ordinary keys), keys and values well-formed. */
function tagsRecordOf(tags: Readonly<Record<string, string>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(tags)) out[wf(k)] = wf(v);
  return out;
}

function toRecord(span: Span): SpanRecord {
  return {
    traceId: wf(span.traceId),
    id: wf(span.id),
    parentId: wfOrNull(span.parentId),
    kind: span.kind ?? null,
    name: wfOrNull(span.name),
    timestampMicros: span.timestampMicros ?? null,
    durationMicros: span.durationMicros ?? null,
    localEndpoint: toEndpointRecord(span.localEndpoint),
    remoteEndpoint: toEndpointRecord(span.remoteEndpoint),
    annotations: span.annotations.map((a) => ({ timestampMicros: a.timestampMicros, value: wf(a.value) })),
    tags: tagsRecordOf(span.tags),
    debug: span.debug ?? null,
    shared: span.shared ?? null,
  };
}

const KINDS: ReadonlySet<string> = new Set<SpanKind>(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function fromEndpointRecord(e: EndpointRecord): Endpoint {
  const out: { serviceName?: string; ipv4?: string; ipv6?: string; port?: number } = {};
  if (e.serviceName !== null) out.serviceName = e.serviceName;
  if (e.ipv4 !== null) out.ipv4 = e.ipv4;
  if (e.ipv6 !== null) out.ipv6 = e.ipv6;
  if (e.port !== null) out.port = e.port;
  return out;
}

type MutableSpan = { -readonly [K in keyof Span]: Span[K] };

/** avsc's record → Span: absent instead of null, fields assigned in place (no spreads: ~3× cheaper). */
function fromRecord(r: SpanRecord): Span {
  const annotations: Annotation[] = new Array<Annotation>(r.annotations.length);
  for (let i = 0; i < r.annotations.length; i++) {
    const a = r.annotations[i] as SpanRecord['annotations'][number];
    annotations[i] = { timestampMicros: a.timestampMicros, value: a.value };
  }
  const tags: Record<string, string> = {};
  for (const key in r.tags) {
    const value = r.tags[key] as string;
    if (key === '__proto__') Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
    else tags[key] = value;
  }
  const span = { traceId: r.traceId, id: r.id } as MutableSpan; // keys in the model's order (as the direct reader)
  if (r.parentId !== null) span.parentId = r.parentId;
  // UNKNOWN_KIND_SYMBOL (a symbol this reader does not know) decodes as "kind absent".
  if (r.kind !== null && r.kind !== UNKNOWN_KIND_SYMBOL && KINDS.has(r.kind)) span.kind = r.kind as SpanKind;
  if (r.name !== null) span.name = r.name;
  if (r.timestampMicros !== null) span.timestampMicros = r.timestampMicros;
  if (r.durationMicros !== null) span.durationMicros = r.durationMicros;
  if (r.localEndpoint !== null) span.localEndpoint = fromEndpointRecord(r.localEndpoint);
  if (r.remoteEndpoint !== null) span.remoteEndpoint = fromEndpointRecord(r.remoteEndpoint);
  span.annotations = annotations;
  span.tags = tags;
  if (r.debug !== null) span.debug = r.debug;
  if (r.shared !== null) span.shared = r.shared;
  return span;
}
