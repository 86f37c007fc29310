import type { XRayClient } from '@aws-sdk/client-xray';
import type { NowMs, Sleep } from '../../../shared/edge/resilience/clock.ts';
import { ConcurrencyGate } from '../../../shared/edge/resilience/concurrency-gate.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { TranslatorMetrics } from '../metrics.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_DOCUMENTS_PER_CALL } from './chunk.ts';
import type { PutOutcome, SegmentSink } from './segment-sink.ts';
import { BisectingSegmentSink } from './stages/bisecting-sink.ts';
import { ChunkingSegmentSink } from './stages/chunking-sink.ts';
import { GatedSegmentSink } from './stages/gated-sink.ts';
import { LingeringSegmentSink } from './stages/lingering-sink.ts';
import { PacedSegmentSink } from './stages/paced-sink.ts';
import { PutTraceSegmentsSink, type ExportCallObserver } from './stages/put-trace-segments-sink.ts';
import { RetryingSegmentSink } from './stages/retrying-sink.ts';

export type { ExportCallObserver };

export interface XRaySegmentSinkOptions {
  /** Built with `maxAttempts: 1`: this sink does the retrying (and heartbeats between retries). */
  readonly client: Pick<XRayClient, 'send'>;
  readonly metrics: TranslatorMetrics;
  /** PutTraceSegments calls in flight across all partitions (XRAY_MAX_CONCURRENCY). */
  readonly maxConcurrency: number;
  /** Retries of a chunk before `put` gives up (XRAY_MAX_RETRIES). */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** At most 50 (X-Ray's limit). */
  readonly maxDocumentsPerCall?: number;
  readonly maxPayloadBytes?: number;
  /** EXPORT_LINGER: longest wait to fill a call with more puts' documents (0 or absent: none). */
  readonly lingerMs?: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  /** Clock of the throttle pacing (Date.now by default). */
  readonly nowMs?: NowMs;
  /** Told the outcome of every call (readiness: services/translator/health.ts ExportHealth). */
  readonly health?: ExportCallObserver;
}

/** The X-Ray keys of a service's configuration (shared/edge/config `xrayEnv`). */
export interface XRaySinkSettings {
  readonly XRAY_MAX_CONCURRENCY: number;
  readonly XRAY_MAX_RETRIES: number;
  readonly XRAY_RETRY_BASE: number;
  readonly XRAY_RETRY_MAX: number;
  /** The translator's and the all-in-one's EXPORT_LINGER (replay has none). */
  readonly EXPORT_LINGER?: number;
}

/**
 * SegmentSink over X-Ray's PutTraceSegments (the real service or xray-local through XRAY_ENDPOINT), composed
 * from small stages, outermost first, in the way OpenTelemetry-js and Jaeger compose exporters:
 * LingeringSegmentSink (with `lingerMs`: pools concurrent puts into full calls, waiting at most lingerMs) →
 * ChunkingSegmentSink (≤ 50 documents and ≤ maxPayloadBytes per call, chunks side by side) →
 * RetryingSegmentSink (retryable leftovers again after full-jitter backoff, up to maxRetries, heartbeating)
 * → BisectingSegmentSink (a request refused as a whole is split until the invalid document stands alone) →
 * PacedSegmentSink (while X-Ray throttles, the waiting puts pooled into one call per shared, jittered interval) →
 * GatedSegmentSink (XRAY_MAX_CONCURRENCY calls in flight) → PutTraceSegmentsSink (one call, classified by
 * the error policy). What is still pending when retrying stops comes back `unfinished`.
 */
export class XRaySegmentSink implements SegmentSink {
  readonly #stages: SegmentSink;

  constructor(options: XRaySegmentSinkOptions) {
    const call = new PutTraceSegmentsSink({ client: options.client, metrics: options.metrics, ...(options.health ? { health: options.health } : {}) });
    const maxDocuments = Math.min(MAX_DOCUMENTS_PER_CALL, options.maxDocumentsPerCall ?? MAX_DOCUMENTS_PER_CALL);
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const paced = new PacedSegmentSink(new GatedSegmentSink(call, new ConcurrencyGate(options.maxConcurrency)), {
      baseMs: options.retryBaseMs, maxDocuments, maxPayloadBytes,
      maxMs: options.retryMaxMs,
      ...(options.random ? { random: options.random } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    });
    const retrying = new RetryingSegmentSink(new BisectingSegmentSink(paced), {
      maxRetries: options.maxRetries,
      retryBaseMs: options.retryBaseMs,
      retryMaxMs: options.retryMaxMs,
      ...(options.random ? { random: options.random } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    const chunking = new ChunkingSegmentSink(retrying, { maxDocuments, maxPayloadBytes });
    this.#stages = options.lingerMs ? new LingeringSegmentSink(chunking, { lingerMs: options.lingerMs, fullCallDocuments: maxDocuments }) : chunking;
  }

  /** THE wiring from configuration (translator, all-in-one and replay alike): XRAY_MAX_CONCURRENCY, XRAY_MAX_RETRIES, XRAY_RETRY_BASE/MAX. */
  static fromSettings(
    settings: XRaySinkSettings,
    deps: Pick<XRaySegmentSinkOptions, 'client' | 'metrics' | 'health'>,
  ): XRaySegmentSink {
    return new XRaySegmentSink({
      ...deps,
      maxConcurrency: settings.XRAY_MAX_CONCURRENCY,
      maxRetries: settings.XRAY_MAX_RETRIES,
      retryBaseMs: settings.XRAY_RETRY_BASE,
      retryMaxMs: settings.XRAY_RETRY_MAX,
      ...(settings.EXPORT_LINGER ? { lingerMs: settings.EXPORT_LINGER } : {}),
    });
  }

  put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    return this.#stages.put(documents, control);
  }
}
