/**
 * OTLP/HTTP bodies of an `ExportTraceServiceRequest` (OTLP specification, "OTLP/HTTP": binary protobuf
 * `application/x-protobuf`, or JSON `application/json`). Compression (gzip) is the sender's business.
 * The schema is embedded (`proto/otlp-trace-descriptor.json`, generated from the vendored
 * opentelemetry-proto files), so loading it does no I/O.
 */
import protobuf from 'protobufjs';
import descriptor from './proto/otlp-trace-descriptor.json' with { type: 'json' };
import type { ExportTraceServiceRequest, KeyValue, OtlpSpan } from './otlp-request.ts';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ExportRequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

export const OTLP_PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
export const OTLP_JSON_CONTENT_TYPE = 'application/json';

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A decimal uint64 string as the low/high 32-bit words protobufjs writes (exact beyond 2^53). */
function fixed64Of(decimal: string): { low: number; high: number; unsigned: boolean } {
  const value = BigInt(decimal);
  return { low: Number(value & 0xffffffffn) | 0, high: Number((value >> 32n) & 0xffffffffn) | 0, unsigned: true };
}

/** Attributes with int64 values the writer takes without parsing a decimal string (small ones as numbers). */
function protoAttributes(attributes: readonly KeyValue[]): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < attributes.length; i += 1) {
    const kv = attributes[i] as KeyValue;
    if (!('intValue' in kv.value)) continue;
    const n = Number(kv.value.intValue);
    if (!Number.isSafeInteger(n)) continue;
    out ??= attributes.slice();
    out[i] = { key: kv.key, value: { intValue: n } };
  }
  return out ?? attributes;
}

/** The span in the shape protobufjs' writer takes: ids as bytes, times as 64-bit words. */
function protoSpanObject(span: OtlpSpan): Record<string, unknown> {
  const object: Record<string, unknown> = {
    ...span,
    traceId: hexToBytes(span.traceId),
    spanId: hexToBytes(span.spanId),
    startTimeUnixNano: fixed64Of(span.startTimeUnixNano),
    endTimeUnixNano: fixed64Of(span.endTimeUnixNano),
    attributes: protoAttributes(span.attributes),
  };
  if (span.events.length > 0) object['events'] = span.events.map((e) => ({ ...e, timeUnixNano: fixed64Of(e.timeUnixNano), attributes: protoAttributes(e.attributes) }));
  if (span.parentSpanId !== undefined) object['parentSpanId'] = hexToBytes(span.parentSpanId);
  return object;
}

function protoRequestObject(request: ExportTraceServiceRequest): Record<string, unknown> {
  return {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map(protoSpanObject) })),
    })),
  };
}

/** The OTLP/HTTP protobuf body (uncompressed). */
export function encodeExportRequest(request: ExportTraceServiceRequest): Uint8Array {
  // The object has the message's shape (protoSpanObject), so it is encoded as is, without a fromObject copy.
  return ExportRequestType.encode(protoRequestObject(request)).finish();
}

/** The OTLP/HTTP JSON body. */
export function encodeExportRequestJson(request: ExportTraceServiceRequest): string {
  return JSON.stringify(request);
}

/** UTF-8 bytes of one span's OTLP/JSON encoding: the size the 200 KB span limit is checked against. */
export function spanJsonBytes(span: OtlpSpan): number {
  return utf8Bytes(JSON.stringify(span));
}

/** UTF-8 length of a string, counted without encoding it. */
export function utf8Bytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
      i += 1;
    } else bytes += 2;
  }
  return bytes;
}

const ExportResponseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

/** `partial_success` of an ExportTraceServiceResponse (trace_service.proto); zero / empty when absent. */
export interface ExportPartialSuccess {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

/**
 * Reads an OTLP/HTTP success body (protobuf, or JSON when `json` is true). Undefined when the body is
 * not an ExportTraceServiceResponse.
 */
export function decodeExportResponse(body: Uint8Array, json: boolean): ExportPartialSuccess | undefined {
  try {
    const message = json
      ? ExportResponseType.fromObject(body.length === 0 ? {} : (JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>))
      : ExportResponseType.decode(body);
    const object = ExportResponseType.toObject(message, { longs: Number, defaults: false }) as { partialSuccess?: { rejectedSpans?: number; errorMessage?: string } };
    return { rejectedSpans: object.partialSuccess?.rejectedSpans ?? 0, errorMessage: object.partialSuccess?.errorMessage ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * One span with its resource as one line of OTLP/JSON, `{"resource":{"attributes":[…]},"span":{…}}` (the
 * `Resource` and `Span` messages of opentelemetry-proto's trace.proto, JSON-mapped as OTLP/JSON maps them): what
 * `meshray translate --protocol otlp` and `meshray replay --dry-run --protocol otlp` write per span.
 */
export function otlpSpanLineOf(placed: { readonly resourceAttributes: readonly KeyValue[]; readonly span: OtlpSpan }): string {
  return JSON.stringify({ resource: { attributes: placed.resourceAttributes }, span: placed.span });
}
