/**
 * The translator's one face. Everything outside services/translator/ imports from here and nothing deeper
 * (ESLint: import-x/no-restricted-paths in eslint.config.js). docs/adr/0002-translator-face.md says why.
 *
 * - `createTranslator({ config, source, sink, deadLetters, sharedEpochs, ... })`: THE pipeline (decode →
 *   translate → export → commit) over a SpanSource, a SegmentSink and a DeadLetterSink. `buildApp` adds the
 *   ops routes (/health, /metrics); `main` is the split translator's composition root.
 * - SpanSource adapters: KafkaSpanSource (live consumer group), InProcessSpanSource (all-in-one),
 *   RangeSpanSource (offset ranges, planned from offsets, a time range or the DLQ: replay and capture).
 * - SegmentSink adapters and decorators: XRaySegmentSink, RateLimitedSegmentSink (EXPORT_PROTOCOL=segments);
 *   OtlpSpanSink adapter: OtlpHttpSpanSink (EXPORT_PROTOCOL=otlp); `exportSinkFromSettings` picks one.
 * - DeadLetterSink adapters: KafkaDeadLetterSink, InProcessDeadLetterSink.
 */
export { createTranslator, type ProtocolSink, type Translator, type TranslatorDeps } from './translator.ts';
export { buildApp, type TranslatorApp, type TranslatorAppDeps } from './app.ts';
export { main, type RunningTranslator } from './main.ts';
export { translatorEnvSchema, type TranslatorEnvConfig } from './config.ts';
export { translatorConfigOf } from './translate/translator-config.ts';
export { createTranslatorMetrics, type TranslatorMetrics } from './metrics.ts';
export { ConsumerHealth, ExportHealth } from './health.ts';

export type { BatchControl, BatchHandler, BatchResult, SpanSource } from './consume/span-source.ts';
export { KafkaSpanSource, type KafkaSpanSourceOptions } from './consume/kafka-span-source.ts';
export { InProcessSpanSource, type InProcessSpanSourceOptions } from './consume/in-process-span-source.ts';
export { RangeSpanSource, type RangeSpanSourceOptions, type PartitionRange, type PartitionPosition, type TimeWindow } from './consume/range-span-source.ts';

export type { PutOutcome, RejectedDocument, SegmentSink, UnfinishedDocuments } from './export/segment-sink.ts';
export { XRaySegmentSink, type XRaySegmentSinkOptions, type XRaySinkSettings } from './export/xray-segment-sink.ts';
export { RateLimitedSegmentSink, type RateLimitedSegmentSinkOptions } from './export/rate-limited-sink.ts';
export { createXRayClient, describeExportTarget } from './export/xray-client.ts';
export type { ExportSink, ExportDocument, ExportProtocol } from './export/export-document.ts';
export { OtlpHttpSpanSink, otlpTracesUrlOf, type OtlpDocument, type OtlpSpanSink } from './export/otlp-span-sink.ts';
export { exportSinkFromSettings } from './export/protocol-sink.ts';
export { TransactionSearchCheck } from './export/transaction-search.ts';
export { DEAD_LETTER_TIME_HEADER, InProcessDeadLetterSink, KafkaDeadLetterSink, type DeadLetter, type DeadLetterSink } from './export/dead-letter.ts';

export type { SharedEpochStore } from './epochs/shared-epoch-store.ts';
export { FAIL_FAST_REDIS_OPTIONS, RedisEpochStore } from './epochs/redis-epoch-store.ts';
export { actionFor, type ErrorAction } from './policy/error-policy.ts';
