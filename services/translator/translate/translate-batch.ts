import type { Logger } from '../../../shared/edge/log/index.ts';
import { isMeshrayError } from '../../../shared/edge/errors/index.ts';
import { translateSpans, type EpochStore, type TranslateOutput, type TranslatorConfig } from '../../../shared/core/xray/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { actionFor } from '../policy/error-policy.ts';
import { agreeOnEpochs } from '../epochs/agree-epochs.ts';
import type { SharedEpochStore } from '../epochs/shared-epoch-store.ts';
import type { TranslatorMetrics } from '../metrics.ts';

export interface BatchTranslatorOptions {
  readonly config: TranslatorConfig;
  /** Absent: local caches only (EPOCH_STORE=memory, the all-in-one). */
  readonly shared?: SharedEpochStore;
  readonly metrics: TranslatorMetrics;
  readonly logger: Logger;
}

/**
 * The translate stage: agrees on the batch's X-Ray trace ids with the shared epoch store (falling back to
 * the partition's local cache when it is down), then runs the pure translator with the injected `nowMs`.
 */
export class BatchTranslator {
  readonly #o: BatchTranslatorOptions;
  readonly #log: Logger;
  #sharedDown = false;

  constructor(options: BatchTranslatorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'translate' });
  }

  async translate(spans: readonly Span[], local: EpochStore, nowMs: number): Promise<TranslateOutput> {
    const { config, metrics } = this.#o;
    let epochs: EpochStore = local;
    let agreedRewrites = 0;
    if (this.#o.shared && spans.length > 0) {
      try {
        const agreed = await agreeOnEpochs({ spans, local, shared: this.#o.shared, config, nowMs });
        epochs = agreed.store;
        agreedRewrites = agreed.rewrites;
        if (this.#sharedDown) this.#log.info('shared epoch store reachable again');
        this.#sharedDown = false;
      } catch (err) {
        if (!isMeshrayError(err) || actionFor(err.code) !== 'skip') throw err;
        metrics.redisFallbacks.inc();
        if (!this.#sharedDown) this.#log.warn({ code: err.code, err: err.message }, 'shared epoch store unavailable; using local caches');
        this.#sharedDown = true;
      }
    }
    const out = translateSpans(spans, { config, nowMs, epochs });
    metrics.epochRewrites.inc(out.stats.epochRewrites + agreedRewrites);
    metrics.metadataTrimmed.inc(out.stats.metadataTrimmed);
    metrics.kindRepaired.inc(out.stats.kindRepaired);
    return out;
  }
}
