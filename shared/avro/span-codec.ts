import type { Resolver, Type } from 'avsc';
import { fail, ok } from '../result/result.ts';
import type { Result } from '../result/result.ts';
import type { Annotation, Endpoint, Span, SpanKind } from '../zipkin/span.ts';
import { fingerprintOf, parseKnownSchema } from './avro-type.ts';
import { scanDatum } from './scan.ts';
import { SPAN_SCHEMA, UNKNOWN_KIND_SYMBOL } from './span-schema.ts';
import { SPAN_SCHEMA_HISTORY } from './span-schema-history.ts';

/** Kafka record header carrying the writer schema's fingerprint (SPAN_SCHEMA_FINGERPRINT when we write). */
export const SPAN_SCHEMA_HEADER = 'meshray-schema';

const SPAN_TYPE: Type = parseKnownSchema(SPAN_SCHEMA);

/** CRC-64-AVRO fingerprint (16 hex digits) of the current span schema's Parsing Canonical Form. */
export const SPAN_SCHEMA_FINGERPRINT: string = fingerprintOf(SPAN_TYPE);

interface WriterSchema {
  readonly version: number;
  readonly type: Type;
  /** Absent for the current schema (no resolution needed). */
  readonly resolver?: Resolver;
}

/** Released writer schemas by fingerprint; resolvers are built once, here (pure computation). */
const WRITERS: ReadonlyMap<string, WriterSchema> = new Map(
  SPAN_SCHEMA_HISTORY.map((v) => {
    const type = parseKnownSchema(v.schema);
    const fingerprint = fingerprintOf(type);
    const writer: WriterSchema = fingerprint === SPAN_SCHEMA_FINGERPRINT
      ? { version: v.version, type: SPAN_TYPE }
      : { version: v.version, type, resolver: SPAN_TYPE.createResolver(type) };
    return [fingerprint, writer] as const;
  }),
);
const CURRENT_WRITER: WriterSchema = { version: 0, type: SPAN_TYPE };

/**
 * Avro-encodes a span with the current schema. Send SPAN_SCHEMA_FINGERPRINT in the
 * SPAN_SCHEMA_HEADER header with it. Throws only for a value that breaks the Span type's own
 * contract (e.g. a fractional or beyond-2^53 timestamp, a non-integer port): a bug upstream.
 */
export function encodeSpan(span: Span): Buffer {
  return SPAN_TYPE.toBuffer(toRecord(span));
}

/**
 * Decodes an Avro span written with the schema whose fingerprint is `writerFingerprint` (the
 * SPAN_SCHEMA_HEADER value; the current schema when absent), resolving older released versions to
 * the current one. Never throws for bad input: garbage, truncation, unknown fingerprints and longs
 * beyond 2^53 come back as issues.
 */
export function decodeSpan(bytes: Uint8Array, writerFingerprint?: string): Result<Span> {
  const writer = writerFingerprint === undefined ? CURRENT_WRITER : WRITERS.get(writerFingerprint.trim().toLowerCase());
  if (writer === undefined) {
    return fail([{
      path: SPAN_SCHEMA_HEADER,
      message: `unknown span schema fingerprint ${JSON.stringify(writerFingerprint)} (known: ${[...WRITERS.keys()].join(', ')})`,
    }]);
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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

const toEndpointRecord = (e: Endpoint | undefined): EndpointRecord | null =>
  e === undefined
    ? null
    : { serviceName: e.serviceName ?? null, ipv4: e.ipv4 ?? null, ipv6: e.ipv6 ?? null, port: e.port ?? null };

function toRecord(span: Span): SpanRecord {
  return {
    traceId: span.traceId,
    id: span.id,
    parentId: span.parentId ?? null,
    kind: span.kind ?? null,
    name: span.name ?? null,
    timestampMicros: span.timestampMicros ?? null,
    durationMicros: span.durationMicros ?? null,
    localEndpoint: toEndpointRecord(span.localEndpoint),
    remoteEndpoint: toEndpointRecord(span.remoteEndpoint),
    annotations: span.annotations.map((a) => ({ timestampMicros: a.timestampMicros, value: a.value })),
    // A null-prototype copy: tag names such as "__proto__" stay ordinary keys.
    tags: Object.assign(Object.create(null) as Record<string, string>, span.tags),
    debug: span.debug ?? null,
    shared: span.shared ?? null,
  };
}

const KINDS: ReadonlySet<string> = new Set<SpanKind>(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function fromEndpointRecord(e: EndpointRecord): Endpoint {
  return {
    ...(e.serviceName === null ? {} : { serviceName: e.serviceName }),
    ...(e.ipv4 === null ? {} : { ipv4: e.ipv4 }),
    ...(e.ipv6 === null ? {} : { ipv6: e.ipv6 }),
    ...(e.port === null ? {} : { port: e.port }),
  };
}

function fromRecord(r: SpanRecord): Span {
  const annotations: Annotation[] = r.annotations.map((a) => ({ timestampMicros: a.timestampMicros, value: a.value }));
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(r.tags)) {
    Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
  }
  // UNKNOWN_KIND_SYMBOL (a symbol this reader does not know) decodes as "kind absent".
  const kind = r.kind !== null && r.kind !== UNKNOWN_KIND_SYMBOL && KINDS.has(r.kind) ? (r.kind as SpanKind) : undefined;
  return {
    traceId: r.traceId,
    id: r.id,
    ...(r.parentId === null ? {} : { parentId: r.parentId }),
    ...(kind === undefined ? {} : { kind }),
    ...(r.name === null ? {} : { name: r.name }),
    ...(r.timestampMicros === null ? {} : { timestampMicros: r.timestampMicros }),
    ...(r.durationMicros === null ? {} : { durationMicros: r.durationMicros }),
    ...(r.localEndpoint === null ? {} : { localEndpoint: fromEndpointRecord(r.localEndpoint) }),
    ...(r.remoteEndpoint === null ? {} : { remoteEndpoint: fromEndpointRecord(r.remoteEndpoint) }),
    annotations,
    tags,
    ...(r.debug === null ? {} : { debug: r.debug }),
    ...(r.shared === null ? {} : { shared: r.shared }),
  };
}
