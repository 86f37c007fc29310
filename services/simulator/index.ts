/**
 * The Bookinfo traffic simulator: a pure generator of what Istio's Envoys report for Bookinfo requests (sidecar
 * flavours, and ambient mode's waypoints), an Envoy-style span batcher, the Zipkin v2 JSON encoder, and the sender. Benchmarks and e2e tests use
 * `runDemo` as their load generator; `meshray demo` and `meshray send` are its CLI.
 */
export { runDemo, generateOptionsOf, DEFAULT_TARGET } from './run-demo.ts';
export type { DemoOptions, DemoSummary } from './run-demo.ts';
export { generateRequest, DEFAULT_GENERATE_OPTIONS } from './generate/request.ts';
export type { GenerateOptions, GeneratedRequest, EmittedSpan, Injection, ReviewsRouting } from './generate/request.ts';
export { createPrng } from './generate/prng.ts';
export type { Prng } from './generate/prng.ts';
export { FLAVOURS, SIDECAR_FLAVOURS, REVIEWS_VERSIONS, isFlavour, spansPerRequest, spansForRoundRobin } from './generate/flavour.ts';
export type { Flavour, ReviewsVersion } from './generate/flavour.ts';
export { DEFAULT_FAULT_FLAGS, FAULT_FLAGS, FAULT_STATUS, isFaultFlag, parseLatencyRules } from './generate/injections.ts';
export type { FaultFlag, LatencyRule } from './generate/injections.ts';
export { SidecarBatcher, ENVOY_MIN_FLUSH_SPANS, ENVOY_FLUSH_INTERVAL_MS } from './generate/batch.ts';
export type { SpanBatch, BatcherOptions } from './generate/batch.ts';
export { WORKLOADS, WAYPOINTS, waypointOf } from './generate/topology.ts';
export type { Workload, Waypoint, ServiceName } from './generate/topology.ts';
export { toAmbient, INTERNAL_CLIENT_ADDRESS } from './generate/ambient.ts';
export { detectSpanFileFormat, SPAN_FILE_FORMATS } from './decode/decode-span-file.ts';
export type { SpanFileFormat } from './decode/decode-span-file.ts';
export { encodeSpansJsonV2, encodeSpanJsonV2, wireSpanOf } from './encode/encode-json-v2.ts';
export { postSpans, spansUrlOf, DEFAULT_POST_OPTIONS } from './send/post-spans.ts';
export type { PostOptions, PostResult } from './send/post-spans.ts';
export { createHttpTransport, httpTransport, fetchTransport } from './send/transport.ts';
export type { PostTransport, HttpAnswer } from './send/transport.ts';
export { SpanPoster, closedMidBody } from './send/span-poster.ts';
export { postBatches, MAX_POST_BYTES } from './send/post-batches.ts';
export type { SpanPosterOptions, PostTally } from './send/span-poster.ts';
