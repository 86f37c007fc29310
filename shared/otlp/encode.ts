/**
 * OTLP/HTTP bodies of an `ExportTraceServiceRequest` (OTLP specification, "OTLP/HTTP": binary protobuf
 * `application/x-protobuf`, or JSON `application/json`). Compression (gzip) is the sender's business.
 * The schema is embedded (`proto/otlp-trace-descriptor.json`, generated from the vendored
 * opentelemetry-proto files), so loading it does no I/O.
 */
import protobuf from 'protobufjs';
import descriptor from './proto/otlp-trace-descriptor.json' with { type: 'json' };
import type { ExportTraceServiceRequest, OtlpSpan } from './otlp-request.ts';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ExportRequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const SpanType = root.lookupType('opentelemetry.proto.trace.v1.Span');

export const OTLP_PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
export const OTLP_JSON_CONTENT_TYPE = 'application/json';

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The span with its ids as bytes, as protobufjs' `fromObject` wants them (64-bit fields stay strings). */
function protoSpanObject(span: OtlpSpan): Record<string, unknown> {
  const object: Record<string, unknown> = { ...span, traceId: hexToBytes(span.traceId), spanId: hexToBytes(span.spanId) };
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
  return ExportRequestType.encode(ExportRequestType.fromObject(protoRequestObject(request))).finish();
}

/** The OTLP/HTTP JSON body. */
export function encodeExportRequestJson(request: ExportTraceServiceRequest): string {
  return JSON.stringify(request);
}

/** Bytes of one span's protobuf encoding. */
export function spanProtoBytes(span: OtlpSpan): number {
  return SpanType.encode(SpanType.fromObject(protoSpanObject(span))).finish().length;
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of one span's OTLP/JSON encoding: the size the 200 KB span limit is checked against. */
export function spanJsonBytes(span: OtlpSpan): number {
  return utf8.encode(JSON.stringify(span)).length;
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
