import type { Logger } from '../../shared/edge/log/index.ts';
import type { TranslatorConfig } from '../../shared/core/xray/index.ts';
import type { SpanSource } from './consume/span-source.ts';
import { PartitionEpochs } from './epochs/partition-epochs.ts';
import type { SharedEpochStore } from './epochs/shared-epoch-store.ts';
import type { DeadLetterSink } from './export/dead-letter.ts';
import { segmentExportSink, type ExportDocument } from './export/export-document.ts';
import type { OtlpSpanSink } from './export/otlp-span-sink.ts';
import type { SegmentSink } from './export/segment-sink.ts';
import type { TranslatorMetrics } from './metrics.ts';
import { TranslatorPipeline } from './pipeline.ts';
import { BatchTranslator } from './translate/translate-batch.ts';
import { OtlpBatchTranslator } from './translate/translate-otlp-batch.ts';
import { segmentPacker } from './translate/pack-segments.ts';
import { AssemblingHandler } from './assemble/assembling-handler.ts';
import { createAssemblyMetrics } from './assemble/assembly-metrics.ts';
import type { WindowSettings } from './assemble/assembly-window.ts';
import type { Registry } from 'prom-client';
import type { TraceSampler } from './sample/trace-sampler.ts';

/**
 * The export side of the translator, by EXPORT_PROTOCOL: segment documents to a SegmentSink
 * (XRaySegmentSink: PutTraceSegments), or OTLP spans to an OtlpSpanSink (OtlpHttpSpanSink: `/v1/traces`).
 * `exportSinkFromSettings` builds either from configuration.
 */
export type ProtocolSink =
  | {
    readonly protocol?: 'segments';
    /** Where segment documents go: XRaySegmentSink, optionally behind decorators (RateLimitedSegmentSink), or a dry-run writer. */
    readonly sink: SegmentSink;
  }
  | { readonly protocol: 'otlp'; readonly sink: OtlpSpanSink };

export type TranslatorDeps = TranslatorCommonDeps & ProtocolSink;

export interface TranslatorCommonDeps {
  /** The pure translator's settings (translatorConfigOf builds them from the environment or flags). */
  readonly config: TranslatorConfig;
  /** Where span records come from: KafkaSpanSource (live), InProcessSpanSource (all-in-one), RangeSpanSource (replay). */
  readonly source: SpanSource;
  /** Where records that can never become an accepted document go: the DLQ topic, memory, or replay's tally. */
  readonly deadLetters: DeadLetterSink;
  /** The shared epoch store (Redis); absent: each partition's local cache only. */
  readonly sharedEpochs?: SharedEpochStore;
  /**
   * Deliveries of a poison record before it is dead-lettered (POISON_MAX_ATTEMPTS). A source that never
   * redelivers (RangeSpanSource) uses 1: a poison record is dead-lettered on its first delivery.
   */
  readonly poisonMaxAttempts: number;
  /** createTranslatorMetrics(registry), shared with the source and sink adapters. */
  readonly metrics: TranslatorMetrics;
  readonly logger: Logger;
  /** The clock the translator's `nowMs` comes from (Date.now at the composition root). */
  readonly clock: () => number;
  /** Pause after a failed batch before it is redelivered; default 1 s (0 for a source that stops instead). */
  readonly failurePauseMs?: number;
  /**
   * ASSEMBLY=on: spans are held by trace in an assembly window and translated a whole trace at a time
   * (services/translator/assemble/). Only for a source that honours `BatchResult.heldThrough` and gives an
   * OffsetCommitter (KafkaSpanSource); its metrics are registered in `registry`.
   */
  readonly assembly?: { readonly window: WindowSettings; readonly registry: Registry; readonly sampler?: TraceSampler };
}

/** A running (or startable) translator: the source delivers batches to the one pipeline. */
export interface Translator {
  /** Starts consuming; resolves once the source has started. */
  start(): Promise<void>;
  /** Stops the source: in-flight batches finish and commit what was exported. */
  stop(): Promise<void>;
  /** TranslatorPipeline.unexportedLetters: how records no longer to be exported are kept (a shutdown's leftovers). */
  unexportedLetters: TranslatorPipeline<ExportDocument>['unexportedLetters'];
}

/**
 * THE translator: decode → translate → export → commit over injected ports. The live translator (Kafka),
 * the all-in-one (in-process topic) and `meshray replay` (offset ranges) differ only in the adapters they
 * pass here; the pipeline code is the same.
 */
export function createTranslator(deps: TranslatorDeps): Translator {
  const epochs = new PartitionEpochs({ ttlMs: deps.config.epochTtlMs, maxEntries: deps.config.epochCacheMaxEntries });
  const common = {
    epochs,
    deadLetters: deps.deadLetters,
    metrics: deps.metrics,
    logger: deps.logger,
    poisonMaxAttempts: deps.poisonMaxAttempts,
    clock: deps.clock,
    ...(deps.failurePauseMs !== undefined ? { failurePauseMs: deps.failurePauseMs } : {}),
  };
  // The protocols differ in their translate and export stages only; decode, commit and DLQ are one pipeline.
  const pipeline = deps.protocol === 'otlp'
    ? new TranslatorPipeline({ ...common, protocol: 'otlp', translator: new OtlpBatchTranslator({ metrics: deps.metrics, annotationAllowlist: deps.config.annotationAllowlist }), sink: deps.sink })
    : new TranslatorPipeline({
      ...common,
      protocol: 'segments',
      translator: new BatchTranslator({ config: deps.config, metrics: deps.metrics, logger: deps.logger, ...(deps.sharedEpochs ? { shared: deps.sharedEpochs } : {}) }),
      sink: segmentExportSink(deps.sink),
      ...(deps.config.packing ? { pack: segmentPacker(deps.config.maxDocumentBytes) } : {}),
    });
  const handler = deps.assembly === undefined ? pipeline : new AssemblingHandler({
    window: deps.assembly.window,
    pipeline,
    metrics: createAssemblyMetrics(deps.assembly.registry),
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.assembly.sampler ? { sampler: deps.assembly.sampler } : {}),
  });
  return {
    start: () => deps.source.start(handler),
    stop: () => deps.source.stop(),
    unexportedLetters: (topic, records, unexported) => pipeline.unexportedLetters(topic, records, unexported),
  };
}
