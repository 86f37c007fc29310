/**
 * Normalisation and validation shared by the three Zipkin decoders (JSON v2, JSON v1, protobuf v2).
 *
 * Readers take a raw value, the span's path (`spans[3]`) and the issue list; they return the normalised
 * value, or `undefined` when the value is absent or invalid (an invalid value also pushes an issue).
 * Paths are only concatenated when an issue is reported, so the happy path allocates no strings.
 */
import type { Issue } from '../result/result.ts';
import type { Annotation, Endpoint, Span, SpanKind } from './span.ts';
import { describe, report, reportMissing } from './issues.ts';
import { readMicros, timestampUnitFactorOf } from './timestamps.ts';
import { ipv4MappedToIpv4, isIpv4, isIpv6 } from './ip.ts';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const HEX = /^[0-9a-fA-F]+$/;
const ALL_ZEROS = /^0+$/;
const HIGH_HALF_ZEROS = /^0{16}/;
const ZEROS_32 = '00000000000000000000000000000000';
const MAX_PORT = 0xffff;

const ID_MESSAGE = 'must be 16 hex characters (shorter ids are left-padded with zeros)';
const TRACE_ID_MESSAGE = 'must be 16 or 32 hex characters (shorter ids are left-padded with zeros)';

/** A JSON object (not null, not an array): what every span, endpoint and tag map must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function padHex(lowerHex: string, width: number): string {
  return lowerHex.length === width ? lowerHex : ZEROS_32.slice(0, width - lowerHex.length) + lowerHex;
}

/**
 * Required trace id: 1-32 hex chars, lowercased, zero-padded to 16 (<=16 chars) or 32; never all zeros.
 * A 32-character id whose high 64 bits are zero is its low 16 characters, as `Span.normalizeTraceId` does
 * (openzipkin/zipkin zipkin/src/main/java/zipkin2/Span.java, `if (length == 32 && zeros >= 16)`).
 * Upper-case hex is lowercased (Zipkin refuses it; the value is unambiguous, so meshray repairs it).
 */
export function readTraceId(value: unknown, base: string, issues: Issue[]): string | undefined {
  if (value === undefined || value === null) {
    reportMissing(issues, base, 'traceId');
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 32 || !HEX.test(value)) {
    report(issues, base, 'traceId', `${TRACE_ID_MESSAGE}, got ${describe(value)}`);
    return undefined;
  }
  if (ALL_ZEROS.test(value)) {
    report(issues, base, 'traceId', `must not be all zeros, got ${describe(value)}`);
    return undefined;
  }
  if (value.length === 32 && HIGH_HALF_ZEROS.test(value)) return value.slice(16).toLowerCase();
  return padHex(value.toLowerCase(), value.length <= 16 ? 16 : 32);
}

/** Required span id: 1-16 hex chars, lowercased, zero-padded to 16; never all zeros. */
export function readSpanId(value: unknown, base: string, issues: Issue[]): string | undefined {
  if (value === undefined || value === null) {
    reportMissing(issues, base, 'id');
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 16 || !HEX.test(value)) {
    report(issues, base, 'id', `${ID_MESSAGE}, got ${describe(value)}`);
    return undefined;
  }
  if (ALL_ZEROS.test(value)) {
    report(issues, base, 'id', `must not be all zeros, got ${describe(value)}`);
    return undefined;
  }
  return padHex(value.toLowerCase(), 16);
}

/** Optional parent id: like a span id; absent when null, empty or all zeros (Zipkin's "no parent"). */
export function readParentId(value: unknown, base: string, issues: Issue[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 16 || !HEX.test(value)) {
    report(issues, base, 'parentId', `${ID_MESSAGE}, got ${describe(value)}`);
    return undefined;
  }
  if (ALL_ZEROS.test(value)) return undefined;
  return padHex(value.toLowerCase(), 16);
}

/**
 * Fields that only Zipkin v2 JSON spans have (zipkin-api.yaml `Span`: `kind`, `localEndpoint`,
 * `remoteEndpoint`, `tags`, `shared`). A v1 span (zipkin-api-v1.yaml) carries none of them; Zipkin's v1 reader would
 * skip them, and with them the service name, so the v1 decoder refuses such a span instead.
 */
export const V2_ONLY_FIELDS = ['kind', 'localEndpoint', 'remoteEndpoint', 'tags', 'shared'] as const;

/** The key only a Zipkin v1 span has (zipkin-api-v1.yaml). */
export const V1_ONLY_FIELD = 'binaryAnnotations';

/** Refuses (at `base`) a v2-shaped span sent as Zipkin v1 JSON, naming the endpoint it belongs to. */
export function reportV2SpanInV1(value: Record<string, unknown>, base: string, issues: Issue[]): void {
  let found: string[] | undefined;
  for (const field of V2_ONLY_FIELDS) if (isPresent(value[field])) (found ??= []).push(field);
  if (found === undefined) return;
  issues.push({
    path: base,
    code: 'wrong_version',
    message: `is a Zipkin v2 span (it has ${found.join(', ')}), sent as v1 JSON: POST it to /api/v2/spans; as v1 its service name would be lost`,
  });
}

/**
 * Refuses (at `base`) a v1-shaped span sent as Zipkin v2 JSON (zipkin-api-v1.yaml): one with
 * `binaryAnnotations`, or without a `localEndpoint` but with an annotation `endpoint`. A v2 reader would skip
 * both, and with them the span's endpoints (its service name) and tags.
 */
export function reportV1SpanInV2(value: Record<string, unknown>, base: string, issues: Issue[]): void {
  const marker = isPresent(value[V1_ONLY_FIELD])
    ? V1_ONLY_FIELD
    : !isPresent(value['localEndpoint']) && hasAnnotationEndpoint(value['annotations']) ? 'annotation endpoints and no localEndpoint' : undefined;
  if (marker === undefined) return;
  issues.push({
    path: base,
    code: 'wrong_version',
    message: `is a Zipkin v1 span (it has ${marker}), sent as v2: POST it to /api/v1/spans; as v2 its endpoints and tags would be lost`,
  });
}

const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

function hasAnnotationEndpoint(annotations: unknown): boolean {
  return Array.isArray(annotations) && annotations.some((item: unknown) => isPlainObject(item) && isPresent(item['endpoint']));
}

/** Whether `value` is a span object (a JSON object); if not, says so at `base` (the whole span is refused). */
export function isSpanObject(value: unknown, base: string, issues: Issue[]): value is Record<string, unknown> {
  if (isPlainObject(value)) return true;
  issues.push({ path: base, message: `must be a span object, got ${describe(value)}` });
  return false;
}

/** The ids of a JSON span (v1 and v2 spell them alike): `traceId` and `id` required, `parentId` optional. */
export function readSpanIds(value: Record<string, unknown>, base: string, issues: Issue[]): { traceId: string | undefined; id: string | undefined; parentId: string | undefined } {
  return { traceId: readTraceId(value.traceId, base, issues), id: readSpanId(value.id, base, issues), parentId: readParentId(value.parentId, base, issues) };
}

/**
 * `timestamp` and `duration` of a JSON span (v1 and v2 alike), in microseconds: a timestamp in epoch
 * milliseconds or seconds is repaired (`repairs.unit` set) and its duration taken to be in the same unit.
 */
export function readTiming(value: Record<string, unknown>, base: string, issues: Issue[], repairs: UnitRepairs): { timestampMicros: number | undefined; durationMicros: number | undefined } {
  const factor = timestampUnitFactorOf(value.timestamp);
  if (factor !== 1) repairs.unit = true;
  return {
    timestampMicros: readMicros(value.timestamp, base, 'timestamp', issues, factor),
    durationMicros: readMicros(value.duration, base, 'duration', issues, factor),
  };
}

/** Optional kind, in any letter case; uppercased. */
export function readKind(value: unknown, base: string, issues: Issue[]): SpanKind | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const kind = kindOf(value) ?? (value.length === 6 || value.length === 8 ? kindOf(value.toUpperCase()) : undefined);
    if (kind !== undefined) return kind;
  }
  report(issues, base, 'kind', `must be one of CLIENT, SERVER, PRODUCER, CONSUMER, got ${describe(value)}`);
  return undefined;
}

function kindOf(upper: string): SpanKind | undefined {
  switch (upper) {
    case 'CLIENT':
      return 'CLIENT';
    case 'SERVER':
      return 'SERVER';
    case 'PRODUCER':
      return 'PRODUCER';
    case 'CONSUMER':
      return 'CONSUMER';
    default:
      return undefined;
  }
}

/**
 * Optional lowercased text (span name, service name); empty means absent. A JSON number is its text, as Zipkin's
 * reader takes it (internal/JsonCodec.java reads with Gson, whose `nextString` returns a NUMBER token as text);
 * JSON.parse keeps no literal, so `1.0` reads as "1" where Zipkin keeps "1.0".
 */
export function readLowercaseText(value: unknown, base: string, field: string, issues: Issue[]): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value.toLowerCase();
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  report(issues, base, field, `must be a string, got ${describe(value)}`);
  return undefined;
}

/** Optional boolean flag (debug, shared); only `true` is kept. */
export function readFlag(value: unknown, base: string, field: string, issues: Issue[]): true | undefined {
  if (value === true) return true;
  if (value === false || value === undefined || value === null) return undefined;
  report(issues, base, field, `must be a boolean, got ${describe(value)}`);
  return undefined;
}

/**
 * Optional endpoint, read as Zipkin's `Endpoint.Builder` does (openzipkin/zipkin
 * zipkin/src/main/java/zipkin2/Endpoint.java): serviceName lowercased, empty → absent (`serviceName(String)`);
 * ipv4/ipv6 routed by their content, IPv4-mapped IPv6 becoming ipv4, and a value that is not an IP literal
 * (a host name, `envoy://…`) left out (`parseIp(String)` returns false); a negative port is unknown (0) and
 * port 0 absent (`port(int)`: `if (port < 0) port = 0`); only a port above 65535 (or not an integer) is
 * refused (`throw new IllegalArgumentException("invalid port")`). An endpoint with nothing left is absent.
 */
export function readEndpoint(value: unknown, base: string, field: string, issues: Issue[]): Endpoint | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    report(issues, base, field, `must be an object, got ${describe(value)}`);
    return undefined;
  }
  const endpoint: Mutable<Endpoint> = {};
  let empty = true;
  const serviceName = readLowercaseText(value.serviceName, base, `${field}.serviceName`, issues);
  if (serviceName !== undefined) {
    endpoint.serviceName = serviceName;
    empty = false;
  }
  if (value.ipv4 !== undefined && readIp(value.ipv4, endpoint)) empty = false;
  if (value.ipv6 !== undefined && readIp(value.ipv6, endpoint)) empty = false;
  const port = portOf(value.port);
  if (port !== undefined && port <= MAX_PORT) {
    if (port > 0) {
      endpoint.port = port;
      empty = false;
    }
  } else if (value.port !== undefined && value.port !== null) {
    report(issues, base, `${field}.port`, `must be an integer up to ${MAX_PORT}, got ${describe(value.port)}`);
  }
  return empty ? undefined : endpoint;
}

/** A decimal number as text, with the spaces, sign, fraction and exponent Java's Double.parseDouble takes. */
const PORT_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * A port as Zipkin reads it (internal/V2SpanReader.java ENDPOINT_READER, `port(reader.nextInt())`; Gson's
 * JsonReader.nextInt): a JSON number, or a string holding one (Integer.parseInt, else Double.parseDouble), that
 * is a whole number within a Java int; anything else is undefined (Gson throws, and the span is refused).
 */
function portOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && PORT_TEXT.test(value) ? Number(value.trim()) : Number.NaN;
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? n : undefined;
}

/** Sets ipv4 or ipv6 from an IP literal; anything else is left out (false), as `Endpoint.Builder.parseIp`. */
function readIp(value: unknown, endpoint: Mutable<Endpoint>): boolean {
  if (typeof value !== 'string' || value === '') return false;
  if (isIpv4(value)) {
    endpoint.ipv4 = value;
    return true;
  }
  if (isIpv6(value)) {
    const lower = value.toLowerCase();
    const mapped = ipv4MappedToIpv4(lower);
    if (mapped !== undefined) endpoint.ipv4 = mapped;
    else endpoint.ipv6 = lower;
    return true;
  }
  return false;
}

/**
 * Sets tag `key` as an own property, whatever the key: a tag named `__proto__` assigned with `tags[key] =`
 * sets the object's prototype instead and is lost (found by review on the protobuf and v1 paths; the v2 JSON
 * path and the Avro reader keep it).
 */
export function setTag(tags: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
  else tags[key] = value;
}

/**
 * Optional tags: an object whose values are strings, numbers or booleans (stringified); null values dropped.
 * Mutates and returns its input, which must be a freshly parsed JSON object owned by the caller.
 */
export function readTags(value: unknown, base: string, issues: Issue[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    report(issues, base, 'tags', `must be an object of string values, got ${describe(value)}`);
    return {};
  }
  for (const key in value) {
    const tag = value[key];
    if (typeof tag === 'string') continue;
    if (typeof tag === 'number' || typeof tag === 'boolean') value[key] = String(tag);
    else if (tag === null) delete value[key];
    else report(issues, base, `tags[${JSON.stringify(key)}]`, `must be a string, number or boolean, got ${describe(tag)}`);
  }
  return value as Record<string, string>;
}

/**
 * Optional v2 annotations: objects with a non-empty string `value` and a `timestamp` in micros.
 * An annotation without a timestamp (old Envoy sent `{"value":"ss"}`) or with a zero or negative one carries
 * no time and is dropped (Zipkin's proto reader does the same: Proto3ZipkinFields, `if (timestamp == 0L ||
 * value == null) return false`). Each timestamp gets its own unit repair; `repairs.unit` turns true if any did.
 */
export function readAnnotations(value: unknown, base: string, issues: Issue[], repairs: UnitRepairs = { unit: false }): Annotation[] {
  return readObjectList(value, base, 'annotations', issues, (item, at) => {
    const text = item.value;
    if (typeof text !== 'string' || text === '') {
      report(issues, base, `${at}.value`, `must be a non-empty string, got ${describe(text)}`);
    }
    const factor = timestampUnitFactorOf(item.timestamp);
    if (factor !== 1) repairs.unit = true;
    const timestampMicros = readMicros(item.timestamp, base, `${at}.timestamp`, issues, factor);
    return timestampMicros !== undefined && typeof text === 'string' && text !== '' ? { timestampMicros, value: text } : undefined;
  });
}

/**
 * An optional list of objects at `field` (absent or null: none), as Zipkin's annotations and v1 binary
 * annotations are: a value that is not a list, or an item that is not an object, is an issue. `readItem`
 * reads each object (named `field[i]` in its issues) and answers what to keep, or undefined for nothing.
 */
export function readObjectList<T>(
  value: unknown,
  base: string,
  field: string,
  issues: Issue[],
  readItem: (item: Record<string, unknown>, at: string) => T | undefined,
): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report(issues, base, field, `must be an array, got ${describe(value)}`);
    return [];
  }
  const kept: T[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const at = `${field}[${i}]`;
    if (!isPlainObject(item)) {
      report(issues, base, at, `must be an object, got ${describe(item)}`);
      continue;
    }
    const read = readItem(item, at);
    if (read !== undefined) kept.push(read);
  }
  return kept;
}

/** Set by readers when a timestamp unit was repaired (see timestampUnitFactorOf). */
export interface UnitRepairs {
  unit: boolean;
}

/** Everything a decoder found for one span; `undefined` means absent. */
export interface SpanParts {
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string | undefined;
  readonly kind: SpanKind | undefined;
  readonly name: string | undefined;
  readonly timestampMicros: number | undefined;
  readonly durationMicros: number | undefined;
  readonly localEndpoint: Endpoint | undefined;
  readonly remoteEndpoint: Endpoint | undefined;
  readonly annotations: Annotation[];
  readonly tags: Record<string, string>;
  readonly debug: boolean | undefined;
  readonly shared: boolean | undefined;
}

/**
 * Builds the model span, applying Zipkin's span-level rules: a parentId equal to the id is dropped, `shared`
 * only survives on non-CLIENT spans, only `true` flags are kept, annotations sorted by time without duplicates.
 */
export function assembleSpan(parts: SpanParts): Span {
  const span: Mutable<Span> = { traceId: parts.traceId, id: parts.id, annotations: sortAnnotations(parts.annotations), tags: parts.tags };
  if (parts.parentId !== undefined && parts.parentId !== parts.id) span.parentId = parts.parentId;
  if (parts.kind !== undefined) span.kind = parts.kind;
  if (parts.name !== undefined) span.name = parts.name;
  if (parts.timestampMicros !== undefined) span.timestampMicros = parts.timestampMicros;
  if (parts.durationMicros !== undefined) span.durationMicros = parts.durationMicros;
  if (parts.localEndpoint !== undefined) span.localEndpoint = parts.localEndpoint;
  if (parts.remoteEndpoint !== undefined) span.remoteEndpoint = parts.remoteEndpoint;
  if (parts.debug === true) span.debug = true;
  if (parts.shared === true && parts.kind !== 'CLIENT') span.shared = true;
  return span;
}

function compareAnnotations(a: Annotation, b: Annotation): number {
  if (a.timestampMicros !== b.timestampMicros) return a.timestampMicros - b.timestampMicros;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Sorts in place only when needed (the common case is already sorted) and drops exact duplicates. */
function sortAnnotations(annotations: Annotation[]): Annotation[] {
  if (annotations.length < 2) return annotations;
  let ordered = true;
  for (let i = 1; i < annotations.length; i++) {
    if (compareAnnotations(annotations[i - 1] as Annotation, annotations[i] as Annotation) >= 0) {
      ordered = false;
      break;
    }
  }
  if (ordered) return annotations;
  annotations.sort(compareAnnotations);
  let kept = 1;
  for (let i = 1; i < annotations.length; i++) {
    const next = annotations[i] as Annotation;
    if (compareAnnotations(annotations[kept - 1] as Annotation, next) !== 0) annotations[kept++] = next;
  }
  annotations.length = kept;
  return annotations;
}
