/** The translator as a library: the all-in-one process composes it with the in-process adapters. */
export { buildApp, type TranslatorApp, type TranslatorAppDeps } from './app.ts';
export { translatorEnvSchema, type TranslatorEnvConfig } from './config.ts';
export { actionFor, codeOfCallError, codeOfUnprocessed, type ErrorAction } from './consume/error-policy.ts';
export type { BatchControl, BatchHandler, BatchResult, SpanSource } from './consume/span-source.ts';
export { KafkaSpanSource, type KafkaSpanSourceOptions } from './consume/kafka-span-source.ts';
export { InProcessSpanSource, type InProcessSpanSourceOptions } from './consume/in-process-span-source.ts';
export type { SharedEpochStore, EpochProposal } from './epochs/shared-epoch-store.ts';
export { RedisEpochStore, type RedisEpochStoreOptions } from './epochs/redis-epoch-store.ts';
export { PartitionEpochs } from './epochs/partition-epochs.ts';
export type { SegmentSink, PutOutcome, RejectedDocument, ExportControl } from './export/segment-sink.ts';
export { XRaySegmentSink, type XRaySegmentSinkOptions } from './export/xray-segment-sink.ts';
export {
  KafkaDeadLetterSink, InProcessDeadLetterSink, DEAD_LETTER_HEADERS, type DeadLetter, type DeadLetterSink,
} from './export/dead-letter.ts';
export { ConsumerHealth } from './health.ts';
export { createTranslatorMetrics, type TranslatorMetrics } from './metrics.ts';
export { TranslatorPipeline, type PipelineOptions } from './pipeline.ts';
export { translatorConfigOf } from './translate/translator-config.ts';
