/**
 * The export stage of EXPORT_PROTOCOL=otlp. Port `OtlpSpanSink` (the SegmentSink contract over OTLP spans:
 * `put` answers a PutOutcome whose indices are positions in the spans given) and its adapter
 * `OtlpHttpSpanSink`, which packs the spans into requests within the endpoint's limits
 * (shared/core/otlp `packOtlpSpans`: ≤ 10,000 spans, ≤ 5 MB uncompressed, ≤ 24 h apart; each span was
 * already kept within 200 KB and the 14 days / 2 h window by `placeOtlpSpans`) and sends each request
 * through OtlpTraceSink (gzip, SigV4 for `xray`, retries honouring Retry-After), at most `maxConcurrency`
 * requests in flight across partitions.
 *
 * A request refused whole for its content (400, 413) is bisected down to the span at fault, so its good
 * neighbours are exported (#send).
 * Partial success: the spans the endpoint names are rejected (dead-lettered with its message); when it
 * refuses spans without naming them all, every unnamed span of that request is rejected too
 * (`partial_success_unattributed`), because the OTLP specification forbids resending them and a span must
 * never be dropped silently: the dead-letter topic holds them for `meshray replay --from-dlq`.
 */
import type { XRayClient } from '@aws-sdk/client-xray';
import { ConcurrencyGate } from '../../../shared/edge/resilience/concurrency-gate.ts';
import { packOtlpSpans, type OtlpPlacedSpan } from '../../../shared/core/otlp/index.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { TranslatorMetrics } from '../metrics.ts';
import type { ExportSink, ExportDocument } from './export-document.ts';
import { OtlpTraceSink, sdkSigningOf, type OtlpTraceSinkOptions } from './otlp-sink.ts';
import type { PutOutcome } from './segment-sink.ts';
import { mergeOutcomes, type PartOutcome } from './stages/merge-outcomes.ts';
import type { ExportCallObserver } from './stages/put-trace-segments-sink.ts';

/** One OTLP span as the pipeline hands it over: its input span, its id and the packed-ready span. */
export interface OtlpDocument extends ExportDocument {
  readonly placed: OtlpPlacedSpan;
}

/** Port: where OTLP spans go. */
export type OtlpSpanSink = ExportSink<OtlpDocument>;

/** The request sender OtlpHttpSpanSink uses (OtlpTraceSink, or a test double). */
export type OtlpRequestSender = Pick<OtlpTraceSink, 'export'>;

export interface OtlpHttpSpanSinkOptions {
  readonly sender: OtlpRequestSender;
  /** Requests in flight across all partitions (XRAY_MAX_CONCURRENCY). */
  readonly maxConcurrency: number;
}

/** The keys of a service's configuration the OTLP sink reads (shared/edge/config `xrayEnv`). */
export interface OtlpSinkSettings {
  readonly XRAY_MAX_CONCURRENCY: number;
  readonly XRAY_MAX_RETRIES: number;
  readonly XRAY_RETRY_BASE: number;
  readonly XRAY_RETRY_MAX: number;
}

/** `<XRAY_ENDPOINT>/v1/traces` for an endpoint override (xray-local), else `https://xray.<region>.amazonaws.com/v1/traces`. */
export function otlpTracesUrlOf(endpoint: string | undefined, region: string): string {
  return endpoint === undefined ? `https://xray.${region}.amazonaws.com/v1/traces` : new URL('/v1/traces', endpoint).href;
}

export class OtlpHttpSpanSink implements OtlpSpanSink {
  readonly #sender: OtlpRequestSender;
  readonly #gate: ConcurrencyGate;

  constructor(options: OtlpHttpSpanSinkOptions) {
    this.#sender = options.sender;
    this.#gate = new ConcurrencyGate(options.maxConcurrency);
  }

  /**
   * THE wiring from configuration (translator, all-in-one and replay alike): signed with the credentials
   * and hash of `client` (the SDK's default chain, or xray-local's placeholder keys), for `client`'s region.
   */
  static fromSettings(
    settings: OtlpSinkSettings,
    deps: { client: Pick<XRayClient, 'config'>; endpoint: string | undefined; region: string; metrics: TranslatorMetrics; health?: ExportCallObserver } & Pick<OtlpTraceSinkOptions, 'fetch' | 'sleep' | 'random'>,
  ): OtlpHttpSpanSink {
    const { client, endpoint, region, metrics, health, ...rest } = deps;
    const sender = new OtlpTraceSink({
      endpoint: otlpTracesUrlOf(endpoint, region),
      region,
      ...sdkSigningOf(client),
      maxRetries: settings.XRAY_MAX_RETRIES,
      retryBaseMs: settings.XRAY_RETRY_BASE,
      retryMaxMs: settings.XRAY_RETRY_MAX,
      onRequest: (outcome) => metrics.otlpRequests.inc({ outcome }),
      ...(health ? { health } : {}),
      ...rest,
    });
    return new OtlpHttpSpanSink({ sender, maxConcurrency: settings.XRAY_MAX_CONCURRENCY });
  }

  async put(documents: readonly OtlpDocument[], control?: BatchControl): Promise<PutOutcome> {
    const parts: PartOutcome[] = [];
    // enough requests to isolate a few bad spans; an endpoint refusing every request (a shared resource
    // attribute, a proxy's body limit) must not turn one put into 2N-1 requests (review: 19,993 for 10,000 spans)
    const splits = { left: SPLIT_REQUESTS_PER_BAD_SPAN * MAX_BAD_SPANS_ISOLATED * Math.ceil(Math.log2(documents.length + 1)) };
    await this.#send(documents, documents.map((_, position) => position), control, parts, splits);
    return mergeOutcomes(parts);
  }

  /**
   * Packs `documents` at `positions` into requests and sends them in turn, appending each outcome to `parts`.
   * A request refused whole for its content (400, 413) is split in halves, each sent again, down to the span
   * at fault: one bad span must not dead-letter up to 10,000 good neighbours (the segments path bisects the
   * same way, stages/bisecting-sink.ts), within the put's split budget (`splits`, a few bad spans' worth;
   * heartbeating between). Not for 5xx: the endpoint, not a span, failed, and the OTLP specification forbids
   * sending that request's spans again.
   */
  async #send(
    documents: readonly OtlpDocument[], positions: readonly number[], control: BatchControl | undefined, parts: PartOutcome[], splits: { left: number },
  ): Promise<void> {
    // Packed by position in `documents`, so a request's spanIndexes are positions here.
    const batches = packOtlpSpans(positions.map((position) => ({ ...(documents[position] as OtlpDocument).placed, index: position })));
    for (const batch of batches) {
      // Requests of one put go one after another: once one is left unfinished, the rest are too.
      const last = parts[parts.length - 1]?.outcome;
      if (last?.unfinished !== undefined) {
        parts.push({ outcome: { rejected: [], unfinished: { ...last.unfinished, indices: [...batch.spanIndexes] } }, indices: [] });
        continue;
      }
      const outcome = await this.#gate.run(() => this.#sender.export(batch, control));
      const inRequest = [...new Set(batch.spanIndexes)];
      if (outcome.refusedWhole !== undefined && BISECTED_STATUS.has(outcome.refusedWhole.status) && inRequest.length > 1 && splits.left >= 2) {
        splits.left -= 2;
        const half = Math.ceil(inRequest.length / 2);
        await control?.heartbeat(); // the halves are more requests in the same batch
        await this.#send(documents, inRequest.slice(0, half), control, parts, splits);
        await this.#send(documents, inRequest.slice(half), control, parts, splits);
        continue;
      }
      parts.push({
        outcome: {
          rejected: outcome.rejected.map((r) => ({ index: r.spanIndex, code: r.code, reason: r.reason, message: r.message })),
          ...(outcome.unfinished ? { unfinished: { code: outcome.unfinished.code, message: outcome.unfinished.message, indices: outcome.unfinished.spanIndexes } } : {}),
        },
        indices: [],
      });
    }
  }
}

/** Statuses that blame the request's content (Bad Request, Payload Too Large): its halves are sent again. */
const BISECTED_STATUS: ReadonlySet<number> = new Set([400, 413]);
/**
 * The split budget of one put: about 2 requests per halving for each of this many bad spans. Past it, what is
 * still refused whole stays refused whole (dead-lettered, replayable), as before bisection.
 */
const MAX_BAD_SPANS_ISOLATED = 4;
const SPLIT_REQUESTS_PER_BAD_SPAN = 2;
