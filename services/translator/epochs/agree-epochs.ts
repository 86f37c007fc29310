import type { Span } from '../../../shared/core/zipkin/span.ts';
import type { EpochStore, TranslatorConfig } from '../../../shared/core/xray/index.ts';
import { planSpan } from '../../../shared/core/xray/plan.ts';
import { proposeXrayTraceId } from '../../../shared/core/xray/trace-id.ts';
import type { EpochProposal, SharedEpochStore } from './shared-epoch-store.ts';

/** The local store, overlaid with what the shared store agreed on for this batch's traces. */
class AgreedEpochStore implements EpochStore {
  readonly #agreed: ReadonlyMap<string, string>;
  readonly #local: EpochStore;

  constructor(agreed: ReadonlyMap<string, string>, local: EpochStore) {
    this.#agreed = agreed;
    this.#local = local;
  }

  recall(traceKey: string, nowMs: number): string | undefined {
    const agreed = this.#agreed.get(traceKey);
    if (agreed === undefined) return this.#local.recall(traceKey, nowMs);
    // Keep the local cache warm with what the shared store decided, replacing its own id when an earlier
    // outage let it mint another: it answers alone while the store is down, and a trace whose later spans
    // arrive during an outage must keep the X-Ray id the shared store agreed on.
    this.#local.adopt(traceKey, agreed, nowMs);
    return agreed;
  }

  remember(traceKey: string, xrayTraceId: string, nowMs: number): string {
    const agreed = this.#agreed.get(traceKey);
    if (agreed !== undefined) {
      this.#local.adopt(traceKey, agreed, nowMs);
      return agreed;
    }
    return this.#local.remember(traceKey, xrayTraceId, nowMs);
  }

  adopt(traceKey: string, xrayTraceId: string, nowMs: number): void {
    this.#local.adopt(traceKey, xrayTraceId, nowMs);
  }
}

export interface AgreedEpochs {
  /** What translateSpans reads for this batch. */
  readonly store: EpochStore;
  /** Traces this batch minted with a rewritten epoch and that the shared store accepted. */
  readonly rewrites: number;
}

/**
 * Before a batch is translated: proposes, for each of its traces, the X-Ray id the local cache holds or
 * (first seen) the one the batch's first span that translateSpans keeps would mint (shared/core/xray/plan.ts
 * planSpan decides, as it does there), and lets the shared store pick the winner.
 * Throws EPOCH_STORE_UNAVAILABLE when the shared store is down (the caller then goes on with `local`).
 */
export async function agreeOnEpochs(input: {
  spans: readonly Span[];
  local: EpochStore;
  shared: SharedEpochStore;
  config: TranslatorConfig;
  nowMs: number;
}): Promise<AgreedEpochs> {
  const { spans, local, config, nowMs } = input;
  const window = { policy: config.epochPolicy, nowMs, maxAgeMs: config.epochMaxAgeMs, maxAheadMs: config.epochMaxAheadMs };
  const proposals = new Map<string, EpochProposal & { rewritten: boolean }>();
  for (let index = 0; index < spans.length; index += 1) {
    const span = spans[index] as Span;
    // the span translateSpans would mint from: the first it keeps (its ids, start and end checked, planSpan).
    // A span it rejects, dead-lettered, must not date its good neighbours' trace (found by review: a bad span
    // id beside a 2019 timestamp put the whole trace 28 days back, where X-Ray's default time range misses it).
    const planned = planSpan(span, index);
    if (!planned.ok) continue;
    const { traceKey, startMicros } = planned.plan;
    if (proposals.has(traceKey)) continue;
    const held = local.recall(traceKey, nowMs);
    if (held !== undefined) {
      proposals.set(traceKey, { traceKey, xrayTraceId: held, rewritten: false });
      continue;
    }
    const candidate = proposeXrayTraceId(span.traceId, startMicros, window);
    if (candidate === undefined) continue; // EPOCH_POLICY=preserve and out of X-Ray's window: the translator rejects it
    proposals.set(traceKey, { traceKey, xrayTraceId: candidate.xrayTraceId, rewritten: candidate.rewritten });
  }
  const agreed = await input.shared.agree([...proposals.values()]);
  let rewrites = 0;
  for (const p of proposals.values()) if (p.rewritten && agreed.get(p.traceKey) === p.xrayTraceId) rewrites += 1;
  return { store: new AgreedEpochStore(agreed, local), rewrites };
}
