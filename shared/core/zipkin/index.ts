/** Public API of the Zipkin input library: decode and validate Zipkin bodies into the model spans. */
export { decodeNdjsonV2Batch, decodeSpanBatch, decodeSpans, detectFormat, isDeadLetterLine, type ZipkinFormat } from './decode.ts';
export type { RefusedSpan, SpanBatch, SpanRefusalReason } from './batch.ts';
export { decodeJsonV1, decodeJsonV1Batch } from './decode-json-v1.ts';
export { decodeJsonV2, decodeJsonV2Batch } from './decode-json-v2.ts';
export { decodeProtoV2, decodeProtoV2Batch } from './decode-proto-v2.ts';
export { traceIdLow64 } from './trace-id.ts';
export { compressionHint, utf16Hint } from './parse-json.ts';
export type { Annotation, Endpoint, Span, SpanKind } from './span.ts';
