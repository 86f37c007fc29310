/** Zipkin v2 protobuf (`ListOfSpans` from zipkin.proto, `application/x-protobuf`) → model spans. */
import protobuf from 'protobufjs';
import type { Issue, Result } from '../result/result.ts';
import { fail, ok } from '../result/result.ts';
import { MAX_SPAN_MICROS, type Annotation, type Endpoint, type Span, type SpanKind } from './span.ts';
import { ipv4FromBytes, ipv6FromBytes, isIpv4MappedBytes } from './ip.ts';
import { keepSpan, readSpanBatch, strictBatch, type SpanBatch } from './batch.ts';
import { assembleSpan, setTag, type Mutable, type UnitRepairs } from './validate.ts';
import { report, reportMissing } from './issues.ts';
import { beyondMicrosMessage, timestampUnitFactorOf } from './timestamps.ts';
import descriptor from './proto/zipkin-descriptor.json' with { type: 'json' };

/**
 * The schema is embedded (generated from proto/zipkin.proto), so loading it does no I/O. Its messages' strings
 * are read without UTF-8 validation: protobufjs 8 applies proto3's `utf8_validation: VERIFY` and threw on a
 * string with invalid UTF-8 (an Envoy tag copied from a header of raw bytes), refusing the span, where Zipkin's
 * own reader (zipkin2.internal.ReadBuffer.doReadUtf8, `new String(bytes, UTF_8)`) replaces each invalid sequence
 * with U+FFFD and keeps it. Read loose, protobufjs decodes with a non-fatal TextDecoder: the same U+FFFD.
 */
const root = protobuf.Root.fromJSON(withoutUtf8Validation(descriptor as protobuf.INamespace));

/** A copy of `namespace` whose message types (those with fields), at any depth, set `features.utf8_validation: NONE`. */
function withoutUtf8Validation(namespace: protobuf.INamespace): protobuf.INamespace {
  const copy: Record<string, unknown> = { ...namespace };
  if ('fields' in namespace) {
    const options = (namespace.options ?? {}) as Record<string, unknown>;
    copy['options'] = { ...options, features: { ...(options['features'] as object | undefined), utf8_validation: 'NONE' } };
  }
  if (namespace.nested !== undefined) {
    copy['nested'] = Object.fromEntries(Object.entries(namespace.nested).map(([name, child]) => [name, withoutUtf8Validation(child as protobuf.INamespace)]));
  }
  return copy as protobuf.INamespace;
}
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');
const ProtoSpanType = root.lookupType('zipkin.proto3.Span');

/** A fixed64/uint64 as protobufjs returns it: a `Long` when the long package is present, else a number. */
type Int64 = number | { readonly low: number; readonly high: number };

interface ProtoEndpoint {
  readonly serviceName: string;
  readonly ipv4: Uint8Array;
  readonly ipv6: Uint8Array;
  readonly port: number;
}

interface ProtoAnnotation {
  readonly timestamp: Int64;
  readonly value: string;
}

interface ProtoSpan {
  readonly traceId: Uint8Array;
  readonly parentId: Uint8Array;
  readonly id: Uint8Array;
  readonly kind: number;
  readonly name: string;
  readonly timestamp: Int64;
  readonly duration: Int64;
  readonly localEndpoint: ProtoEndpoint | null;
  readonly remoteEndpoint: ProtoEndpoint | null;
  readonly annotations: readonly ProtoAnnotation[];
  readonly tags: Readonly<Record<string, string>>;
  readonly debug: boolean;
  readonly shared: boolean;
}

interface ProtoListOfSpans {
  readonly spans: readonly ProtoSpan[];
}

const KINDS: readonly (SpanKind | undefined)[] = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const TWO_POW_32 = 0x1_0000_0000;
/** Largest `high` word of a 64-bit value that can still be at most MAX_SPAN_MICROS (2^53 - 2). */
const MAX_SAFE_HIGH = 0x1f_ffff;
const MAX_PORT = 0xffff;
/** Protobuf tag of ListOfSpans field 1 (`spans`), wire type 2 (length-delimited). */
const LIST_OF_SPANS_FIELD_1 = 0x0a;

/** Decodes a protobuf ListOfSpans. An empty body is an empty list; bytes that are not one fail as a whole. */
export function decodeProtoV2(body: Uint8Array | string): Result<Span[]> {
  return strictBatch(decodeProtoV2Batch(body));
}

/**
 * Decodes a protobuf ListOfSpans span by span: bytes that are not a ListOfSpans fail as a whole; a span still
 * invalid after normalisation is refused alone (see batch.ts).
 */
export function decodeProtoV2Batch(body: Uint8Array | string): Result<SpanBatch> {
  if (typeof body === 'string') {
    return fail([{ path: '', message: 'a protobuf body must be bytes, got a string' }]);
  }
  if (body.length === 0) return ok({ spans: [], bodyIndexes: [], refused: [], timestampUnitRepairs: 0 });
  const framing = checkListFraming(body);
  if (typeof framing === 'string') return fail([{ path: '', message: `body is not a protobuf ListOfSpans: ${framing}` }]);
  let list: ProtoListOfSpans;
  try {
    list = ListOfSpans.decode(body) as unknown as ProtoListOfSpans;
  } catch {
    // The list is framed right but a span's own bytes are not a Span: decode the spans one by one, so the
    // malformed one is refused alone and its neighbours are kept (batch.ts; found by review: one bad span
    // refused the whole POST).
    return ok(readSpanBatch(framing.map((range) => decodeSpanBytes(body, range)), 0, readFramedSpan, keepSpan));
  }
  return ok(readSpanBatch(list.spans, 0, readProtoSpan, keepSpan));
}

/** A span's bytes that protobufjs could not read as a Span: the reason, refused as `not_a_span`. */
interface UndecodableSpan {
  readonly undecodable: string;
}

function decodeSpanBytes(body: Uint8Array, [start, end]: SpanRange): ProtoSpan | UndecodableSpan {
  try {
    return ProtoSpanType.decode(body.subarray(start, end)) as unknown as ProtoSpan;
  } catch (error) {
    return { undecodable: error instanceof Error ? error.message : String(error) };
  }
}

function readFramedSpan(item: ProtoSpan | UndecodableSpan, base: string, issues: Issue[], repairs: UnitRepairs): Span | undefined {
  if ('undecodable' in item) {
    issues.push({ path: base, message: `is not a protobuf Span (zipkin.proto3.Span): ${item.undecodable}` });
    return undefined;
  }
  return readProtoSpan(item, base, issues, repairs);
}

/** The bytes of one span's message in the body: [start, end). */
type SpanRange = readonly [number, number];

/**
 * Checks that the top level holds only field 1 (spans) records that fit in the body, and answers each span's
 * byte range; a string says why the body is not a ListOfSpans. protobufjs would skip unknown fields silently,
 * so bytes that are not a ListOfSpans at all could otherwise decode to "no spans".
 */
function checkListFraming(body: Uint8Array): string | SpanRange[] {
  const ranges: SpanRange[] = [];
  let pos = 0;
  while (pos < body.length) {
    const tag = body[pos] as number;
    if (tag !== LIST_OF_SPANS_FIELD_1) {
      // a JSON body sent as protobuf starts with [ or { (newcomer trial: the 400 did not say so)
      const json = pos === 0 && (tag === 0x5b || tag === 0x7b) ? ': the body starts like JSON: POST it with Content-Type: application/json (meshray translate: --format json-v2 or json-v1, or no --format)' : '';
      return `byte 0x${HEX_BYTE[tag]} at offset ${pos} is not the tag of field 1 (spans)${json}`;
    }
    const start = pos;
    pos++;
    let length = 0;
    let scale = 1;
    let byte: number;
    do {
      if (pos >= body.length) return `the span at offset ${start} has a truncated length`;
      byte = body[pos++] as number;
      length += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte & 0x80 && scale < 0x8_0000_0000);
    if (byte & 0x80) return `the span at offset ${start} has an overlong length`;
    const content = pos;
    pos += length;
    if (pos > body.length) return `the span at offset ${start} runs past the end of the body`;
    ranges.push([content, pos]);
  }
  return ranges;
}

function readProtoSpan(message: ProtoSpan, base: string, issues: Issue[], repairs: UnitRepairs): Span | undefined {
  const before = issues.length;
  const traceId = readIdBytes(message.traceId, base, 'traceId', true, issues);
  const id = readIdBytes(message.id, base, 'id', false, issues);
  let parentId: string | undefined;
  const parentBytes = message.parentId;
  if (parentBytes !== undefined && parentBytes !== null && parentBytes.length !== 0) {
    if (parentBytes.length === 8) parentId = isAllZero(parentBytes) ? undefined : toHex(parentBytes);
    else report(issues, base, 'parentId', `must be 8 bytes, got ${parentBytes.length} bytes`);
  }
  // an unknown kind number is ignored (Proto3ZipkinFields: `if (kind > Span.Kind.values().length) break;`)
  const kind = KINDS[message.kind];
  const timestampRaw = readInt64(message.timestamp, base, 'timestamp', issues);
  const factor = timestampUnitFactorOf(timestampRaw);
  if (factor !== 1) repairs.unit = true;
  const timestampMicros = scaled(timestampRaw, factor);
  const durationMicros = scaled(readInt64(message.duration, base, 'duration', issues), factor);
  const localEndpoint = readProtoEndpoint(message.localEndpoint, base, 'localEndpoint', issues);
  const remoteEndpoint = readProtoEndpoint(message.remoteEndpoint, base, 'remoteEndpoint', issues);
  const annotations = readProtoAnnotations(message.annotations, base, issues, repairs);
  const tags: Record<string, string> = {};
  for (const key of Object.keys(message.tags)) setTag(tags, key, message.tags[key] as string);
  if (traceId === undefined || id === undefined || issues.length !== before) return undefined;
  // SpanParts, field by field: each decoder lists the same model fields (alike on purpose, read differently).
  return assembleSpan({
    traceId,
    id,
    parentId,
    kind,
    name: message.name ? message.name.toLowerCase() : undefined,
    timestampMicros,
    durationMicros,
    localEndpoint,
    remoteEndpoint,
    annotations,
    tags,
    debug: message.debug === true,
    shared: message.shared === true,
  });
}

function readIdBytes(bytes: Uint8Array | null, base: string, field: string, isTraceId: boolean, issues: Issue[]): string | undefined {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    reportMissing(issues, base, field);
    return undefined;
  }
  if (bytes.length !== 8 && !(isTraceId && bytes.length === 16)) {
    report(issues, base, field, `must be ${isTraceId ? '8 or 16 bytes' : '8 bytes'}, got ${bytes.length} bytes`);
    return undefined;
  }
  if (isAllZero(bytes)) {
    report(issues, base, field, 'must not be all zeros');
    return undefined;
  }
  // a 128-bit trace id whose high half is zero is the 64-bit id (Span.normalizeTraceId)
  if (bytes.length === 16 && isAllZero(bytes.subarray(0, 8))) return toHex(bytes.subarray(8));
  return toHex(bytes);
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX_BYTE[bytes[i] as number];
  return hex;
}

/** A timestamp unit repair applied (a no-op for factor 1). */
function scaled(micros: number | undefined, factor: number): number | undefined {
  if (micros === undefined || factor === 1) return micros;
  const repaired = micros * factor;
  // a duration scaled with its repaired timestamp that no longer fits is implausible: absent
  return repaired <= MAX_SPAN_MICROS ? repaired : undefined;
}

/**
 * A 64-bit value as a safe integer; 0 means absent. Zipkin reads it as a signed Java long, and
 * `Span.Builder.timestamp(long)`/`duration(long)` turn a negative one into 0 = absent: so does a value
 * whose top bit is set here.
 */
function readInt64(value: Int64 | null | undefined, base: string, field: string, issues: Issue[]): number | undefined {
  if (value === null || value === undefined) return undefined;
  let micros: number;
  if (typeof value === 'number') {
    micros = value;
  } else {
    const high = value.high >>> 0;
    if (high >= 0x8000_0000) return undefined;
    if (high > MAX_SAFE_HIGH) {
      report(issues, base, field, beyondMicrosMessage(high * TWO_POW_32 + (value.low >>> 0)));
      return undefined;
    }
    micros = high * TWO_POW_32 + (value.low >>> 0);
  }
  if (micros <= 0) return undefined;
  if (micros > MAX_SPAN_MICROS) {
    report(issues, base, field, beyondMicrosMessage(micros));
    return undefined;
  }
  return micros;
}

function readProtoEndpoint(message: ProtoEndpoint | null | undefined, base: string, field: string, issues: Issue[]): Endpoint | undefined {
  if (message === null || message === undefined) return undefined;
  const endpoint: Mutable<Endpoint> = {};
  let empty = true;
  if (message.serviceName) {
    endpoint.serviceName = message.serviceName.toLowerCase();
    empty = false;
  }
  // Address bytes of another length are left out: `Endpoint.Builder.parseIp(byte[])` returns false for them.
  const ipv4 = message.ipv4;
  if (ipv4 !== null && ipv4 !== undefined && ipv4.length === 4) {
    endpoint.ipv4 = ipv4FromBytes(ipv4);
    empty = false;
  }
  const ipv6 = message.ipv6;
  if (ipv6 !== null && ipv6 !== undefined && ipv6.length === 16) {
    if (isIpv4MappedBytes(ipv6)) {
      endpoint.ipv4 = ipv4FromBytes(ipv6.subarray(12));
      empty = false;
    } else {
      endpoint.ipv6 = ipv6FromBytes(ipv6);
      empty = false;
    }
  }
  // `Endpoint.Builder.port(int)`: negative → 0 (unknown), above 65535 → refused
  const port = message.port;
  if (port !== undefined && port !== null && port > 0) {
    if (port <= MAX_PORT) {
      endpoint.port = port;
      empty = false;
    } else {
      report(issues, base, `${field}.port`, `must be an integer up to ${MAX_PORT}, got ${port}`);
    }
  }
  return empty ? undefined : endpoint;
}

/**
 * Annotations with a zero timestamp or no value are dropped, as Zipkin's reader does
 * (Proto3ZipkinFields: `if (timestamp == 0L || value == null) return false`).
 */
function readProtoAnnotations(messages: readonly ProtoAnnotation[] | null | undefined, base: string, issues: Issue[], repairs: UnitRepairs): Annotation[] {
  const annotations: Annotation[] = [];
  if (messages === null || messages === undefined) return annotations;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ProtoAnnotation;
    if (!message.value) continue;
    const raw = readInt64(message.timestamp, base, `annotations[${i}].timestamp`, issues);
    const factor = timestampUnitFactorOf(raw);
    if (factor !== 1) repairs.unit = true;
    const timestampMicros = scaled(raw, factor);
    if (timestampMicros !== undefined) annotations.push({ timestampMicros, value: message.value });
  }
  return annotations;
}
