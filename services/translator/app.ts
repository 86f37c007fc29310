import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { registerOpsRoutes } from '../../shared/edge/http/ops-routes.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import type { TranslatorConfig } from '../../shared/core/xray/index.ts';
import type { SpanSource } from './consume/span-source.ts';
import type { SharedEpochStore } from './epochs/shared-epoch-store.ts';
import type { DeadLetterSink } from './export/dead-letter.ts';
import type { TransactionSearchCheck } from './export/transaction-search.ts';
import { allOf, type ConsumerHealth, type ExportHealth } from './health.ts';
import type { TranslatorMetrics } from './metrics.ts';
import { createTranslator, type ProtocolSink, type Translator } from './translator.ts';
import type { WindowSettings } from './assemble/assembly-window.ts';
import type { TraceSampler } from './sample/trace-sampler.ts';

export type TranslatorAppDeps = TranslatorAppCommonDeps & ProtocolSink;

export interface TranslatorAppCommonDeps {
  /** The pure translator's settings (translate/translator-config.ts builds them from the environment). */
  readonly translatorConfig: TranslatorConfig;
  readonly poisonMaxAttempts: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** createTranslatorMetrics(registry), shared with the source and sink adapters. */
  readonly metrics: TranslatorMetrics;
  readonly health: ConsumerHealth;
  /** Readiness from the outcome of PutTraceSegments calls (the sink's `health` observer); absent: not checked. */
  readonly exportHealth?: ExportHealth;
  /** EXPORT_PROTOCOL=otlp: whether Transaction Search is on joins readiness; absent: not checked. */
  readonly transactionSearch?: Pick<TransactionSearchCheck, 'ready'>;
  readonly source: SpanSource;
  readonly deadLetters: DeadLetterSink;
  /** The shared epoch store (Redis); absent: local caches only. */
  readonly sharedEpochs?: SharedEpochStore;
  /** The clock the translator's `nowMs` comes from (Date.now in main.ts). */
  readonly clock: () => number;
  /** Pause after a failed batch before it is redelivered; default 1 s. */
  readonly failurePauseMs?: number;
  /** ASSEMBLY=on: hold spans by trace before translating (TranslatorDeps.assembly). */
  readonly assembly?: WindowSettings;
  /** SAMPLING=on (with ASSEMBLY=on): whole-trace tail sampling (services/translator/sample/create-sampler.ts). */
  readonly sampler?: TraceSampler;
}

export interface TranslatorApp {
  /** /health/live, /health/ready, /metrics; not listening. */
  readonly http: FastifyInstance;
  /** Starts consuming (the source delivers batches to the pipeline). */
  start(): Promise<void>;
  /** Stops consuming: in-flight batches finish and commit what was exported. */
  stop(): Promise<void>;
  /** Translator.unexportedLetters: the dead letters that keep records not exported at shutdown. */
  unexportedLetters: Translator['unexportedLetters'];
}

/** Builds the translator (createTranslator) with its ops routes around injected ports; starts nothing. */
export function buildApp(deps: TranslatorAppDeps): TranslatorApp {
  const translator = createTranslator({
    config: deps.translatorConfig,
    source: deps.source,
    ...(deps.protocol === 'otlp' ? { protocol: deps.protocol, sink: deps.sink } : { sink: deps.sink }),
    deadLetters: deps.deadLetters,
    ...(deps.sharedEpochs ? { sharedEpochs: deps.sharedEpochs } : {}),
    poisonMaxAttempts: deps.poisonMaxAttempts,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.failurePauseMs !== undefined ? { failurePauseMs: deps.failurePauseMs } : {}),
    ...(deps.assembly ? { assembly: { window: deps.assembly, registry: deps.registry, ...(deps.sampler ? { sampler: deps.sampler } : {}) } } : {}),
  });
  const http = Fastify({ logger: false });
  const ready = allOf(deps.health.ready, ...(deps.exportHealth ? [deps.exportHealth.ready] : []), ...(deps.transactionSearch ? [deps.transactionSearch.ready] : []));
  registerOpsRoutes(http, { live: deps.health.live, ready, registry: deps.registry });
  return {
    http,
    start: () => translator.start(),
    stop: () => translator.stop(),
    unexportedLetters: (topic, records, unexported) => translator.unexportedLetters(topic, records, unexported),
  };
}
