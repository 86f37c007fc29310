/** Public API of the Zipkin input library: decode and validate Zipkin bodies into the model spans. */
export { decodeSpans, detectFormat, type ZipkinFormat } from './decode.ts';
export { decodeJsonV1 } from './decode-json-v1.ts';
export { decodeJsonV2 } from './decode-json-v2.ts';
export { decodeProtoV2 } from './decode-proto-v2.ts';
export { traceIdLow64 } from './trace-id.ts';
export type { Annotation, Endpoint, Span, SpanKind } from './span.ts';
