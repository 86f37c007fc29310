/**
 * Tail sampling of assembled traces (SAMPLING=on): the assembly window hands each due trace here before
 * export; a trace is kept whole or sampled out whole. Policy (shared/core/sampling) first: traces with a
 * fault, error or throttle, slow traces and SAMPLE_KEEP matches are kept and take the budget first; the
 * others are offered to the budget at the adaptive rate. A decision is cached per trace key, so late spans
 * and retried traces follow it (and do not take budget twice). Sampled-out spans are reported to the
 * window as done: they are committed, and counted here by policy and service.
 */
import { decodeRecordSpans } from '../../../shared/core/span-record/record.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import {
  AdaptiveRate, DecisionCache, documentsAtMostOf, keepPolicyOf, traceFactsOf, traceFraction, type Decision, type PolicySettings,
} from '../../../shared/core/sampling/index.ts';
import type { DueTrace } from '../assemble/assembly-window.ts';
import type { ExportBudget } from './export-budget.ts';
import type { SamplingMetrics } from './sampling-metrics.ts';

/**
 * A late span whose trace's decision expired, a trace put back after a failed export whose decision expired
 * (it was kept: only kept traces are exported; deciding again could drop the rest of a trace X-Ray already
 * holds part of), or a trace with an undecodable record: exported, never sampled out.
 */
const UNDECIDED: Decision = { kept: true, policy: 'unknown' };

export interface TraceSamplerOptions {
  readonly policy: PolicySettings;
  /**
   * What a trace costs the budget: 'segments' (default) the X-Ray documents its spans become at most
   * (documentsAtMostOf: a root span makes two); 'otlp' its spans (one OTLP span each, OTLP_SPANS_PER_SECOND).
   */
  readonly protocol?: 'segments' | 'otlp';
  readonly budget: ExportBudget;
  /** SAMPLE_DECISION_TTL and a bound on the entries. */
  readonly decisionTtlMs: number;
  readonly maxDecisions: number;
  readonly metrics: SamplingMetrics;
  readonly clock: () => number;
}

export interface SampledTraces {
  readonly keep: readonly DueTrace[];
  readonly drop: readonly DueTrace[];
}

interface Pending {
  readonly due: DueTrace;
  readonly spans: readonly Span[];
  /** Documents the trace may become, at most (documentsAtMostOf; packing makes fewer: the budget errs on the safe side). */
  readonly cost: number;
  /** A record did not decode: the trace is kept, unsampled, and the pipeline dead-letters the record. */
  readonly undecodable: boolean;
  decision?: Decision;
}

export class TraceSampler {
  readonly #o: TraceSamplerOptions;
  readonly #cache: DecisionCache;
  readonly #rate = new AdaptiveRate();
  readonly #kept = new Map<string, number>();
  readonly #decided = new Map<string, number>();

  constructor(options: TraceSamplerOptions) {
    this.#o = options;
    this.#cache = new DecisionCache({ ttlMs: options.decisionTtlMs, maxEntries: options.maxDecisions });
  }

  async sample(due: readonly DueTrace[]): Promise<SampledTraces> {
    const nowMs = this.#o.clock();
    const traces: Pending[] = due.map((d) => {
      const decoded = d.records.map(decodeRecordSpans);
      const spans = decoded.flatMap((s) => (s.ok ? s.value : []));
      const cost = this.#o.protocol === 'otlp' ? spans.length : documentsAtMostOf(spans);
      return { due: d, spans, cost: Math.max(1, cost), undecodable: decoded.some((s) => !s.ok) };
    });
    let forced = 0;
    /** Documents of the traces sampled adaptively now, before the rate. */
    let offered = 0;
    const adaptive: Pending[] = [];
    const rate = this.#rate.rateAt(nowMs);
    for (const t of traces) {
      const known = this.#cache.get(t.due.key, nowMs);
      if (known?.kept === true) {
        t.decision = known;
        continue;
      }
      if (t.due.reason === 'retry') {
        t.decision = UNDECIDED; // it was kept when it was first exported
        continue;
      }
      // a trace sampled out may come back with the part that makes it one to keep (a slow trace's root, the 5xx,
      // arriving after ASSEMBLY_IDLE): the always-keep policies are asked again, and overturn the drop
      const policy = keepPolicyOf(traceFactsOf(t.spans), this.#o.policy);
      if (policy !== undefined) {
        t.decision = { kept: true, policy };
        forced += t.cost;
      } else if (known !== undefined) t.decision = known;
      else if (t.due.reason === 'late' || t.undecodable) t.decision = UNDECIDED;
      else {
        offered += t.cost;
        if (traceFraction(t.due.key) < rate) adaptive.push(t);
        else t.decision = { kept: false, policy: 'adaptive' };
      }
    }
    if (forced > 0 || adaptive.length > 0) {
      const grant = await this.#o.budget.grant({ forced, wanted: adaptive.map((t) => t.cost) });
      if (grant.fallback) this.#o.metrics.budgetFallbacks.inc();
      adaptive.forEach((t, i) => { t.decision = { kept: grant.granted[i] === true, policy: 'adaptive' }; });
      const granted = adaptive.filter((t) => t.decision?.kept === true).reduce((n, t) => n + t.cost, 0);
      this.#rate.observe(offered, granted, adaptive.some((t) => t.decision?.kept !== true));
    } else if (offered > 0) this.#rate.observe(offered, 0, false);
    this.#o.metrics.adaptiveRate.set(rate);

    const keep: DueTrace[] = [];
    const drop: DueTrace[] = [];
    for (const t of traces) {
      const decision = t.decision ?? UNDECIDED;
      if (decision.policy !== 'unknown') this.#cache.set(t.due.key, decision, nowMs);
      (decision.kept ? keep : drop).push(t.due);
      this.#count(t.spans, decision);
    }
    return { keep, drop };
  }

  #count(spans: readonly Span[], decision: Decision): void {
    const byService = new Map<string, number>();
    for (const s of spans) {
      const service = s.localEndpoint?.serviceName ?? '';
      byService.set(service, (byService.get(service) ?? 0) + 1);
    }
    for (const [service, n] of byService) {
      this.#o.metrics.spans.inc({ decision: decision.kept ? 'kept' : 'sampled_out', policy: decision.policy, service }, n);
      const kept = (this.#kept.get(service) ?? 0) + (decision.kept ? n : 0);
      const decided = (this.#decided.get(service) ?? 0) + n;
      this.#kept.set(service, kept);
      this.#decided.set(service, decided);
      this.#o.metrics.rate.set({ service }, kept / decided);
    }
  }
}
