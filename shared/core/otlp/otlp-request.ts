/**
 * The OTLP trace export request in its OTLP/JSON shape (opentelemetry-proto
 * `opentelemetry/proto/collector/trace/v1/trace_service.proto`, JSON mapping per the OTLP specification,
 * "JSON Protobuf Encoding"): lowerCamelCase field names, trace and span ids as lowercase hex (not base64),
 * 64-bit integers (`timeUnixNano`, `intValue`) as decimal strings, enums as integers.
 * `JSON.stringify` of this object is a valid OTLP/HTTP JSON body; `encodeExportRequest` turns the same
 * object into the OTLP/HTTP protobuf body.
 */

/** `AnyValue` (common.proto). Exactly one member is set. */
export type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  /** int64 as a decimal string (OTLP/JSON). */
  | { readonly intValue: string }
  | { readonly doubleValue: number }
  | { readonly arrayValue: { readonly values: readonly AnyValue[] } };

export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** `Span.SpanKind` (trace.proto). */
export const SpanKindOtlp = Object.freeze({
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
});

/** `Status.StatusCode` (trace.proto). */
export const StatusCodeOtlp = Object.freeze({ UNSET: 0, OK: 1, ERROR: 2 });

/** `SpanFlags` (trace.proto): bits 8 and 9 say whether the parent span is remote. */
export const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x100;
export const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x200;

export interface OtlpEvent {
  /** Epoch nanoseconds, decimal string. */
  readonly timeUnixNano: string;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
}

export interface OtlpStatus {
  readonly code: number;
  readonly message?: string;
}

export interface OtlpSpan {
  /** 32 lowercase hex digits (16 bytes). */
  readonly traceId: string;
  /** 16 lowercase hex digits (8 bytes). */
  readonly spanId: string;
  /** 16 lowercase hex digits; absent for a root span. */
  readonly parentSpanId?: string;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  /** Epoch nanoseconds, decimal string. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly KeyValue[];
  /** Attributes removed to fit the 200 KB span limit (OTLP's own marker for dropped attributes). */
  readonly droppedAttributesCount: number;
  readonly events: readonly OtlpEvent[];
  readonly droppedEventsCount: number;
  readonly status: OtlpStatus;
}

export interface OtlpScopeSpans {
  readonly scope: { readonly name: string; readonly version?: string };
  readonly spans: readonly OtlpSpan[];
  readonly schemaUrl: string;
}

export interface OtlpResourceSpans {
  readonly resource: { readonly attributes: readonly KeyValue[] };
  readonly scopeSpans: readonly OtlpScopeSpans[];
  readonly schemaUrl: string;
}

/** `ExportTraceServiceRequest` (trace_service.proto). */
export interface ExportTraceServiceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}
