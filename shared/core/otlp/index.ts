/** shared/core/otlp: the pure Zipkin → OTLP translator and the OTLP/HTTP request encoders. */
export { translateToOtlp, placeOtlpSpans, packOtlpSpans, OTLP_SCHEMA_URL, OTLP_SCOPE_NAME } from './translate.ts';
export type { OtlpTranslateContext, OtlpTranslateOutput, OtlpExportBatch, OtlpRejectedSpan, OtlpRejectReason, OtlpTranslateStats, OtlpPlacedSpan, OtlpPlaceOutput } from './translate.ts';
export { OTLP_ENDPOINT_LIMITS } from './limits.ts';
export type { OtlpLimits } from './limits.ts';
export { encodeExportRequest, encodeExportRequestJson, decodeExportResponse, otlpSpanLineOf, OTLP_JSON_CONTENT_TYPE, OTLP_PROTOBUF_CONTENT_TYPE } from './encode.ts';
export type { ExportPartialSuccess } from './encode.ts';
export type * from './otlp-request.ts';
export { SpanKindOtlp, StatusCodeOtlp } from './otlp-request.ts';
