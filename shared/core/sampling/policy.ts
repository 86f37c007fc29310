/**
 * The tail-sampling policy of one assembled trace, pure (time is an input). A trace is kept by policy when
 * it has a fault, error or throttle (`error`), lasted at least SAMPLE_SLOW_MS (`slow`), or matches SAMPLE_KEEP
 * (`keep_rule`); such traces always go out. Every other trace is `adaptive`: kept when its place in the
 * trace-id space (`traceFraction`) is under the adaptive rate and the shared budget grants its documents.
 */
import type { KeepExpression } from './keep-expression.ts';
import { matchesKeep } from './keep-expression.ts';
import type { TraceFacts } from './trace-facts.ts';

export type KeepPolicy = 'error' | 'slow' | 'keep_rule';
/** `unknown`: no decision (a late span whose trace's decision expired, an undecodable record): exported. */
export type SamplePolicy = KeepPolicy | 'adaptive' | 'unknown';

export interface PolicySettings {
  /** SAMPLE_SLOW_MS: traces at least this long are kept; 0: no slow policy. */
  readonly slowMs: number;
  /** SAMPLE_KEEP, parsed. */
  readonly keep: KeepExpression;
}

/** The policy that keeps the trace whatever the budget, or undefined: the trace is sampled adaptively. */
export function keepPolicyOf(facts: TraceFacts, settings: PolicySettings): KeepPolicy | undefined {
  if (facts.fault || facts.error || facts.throttle) return 'error';
  if (settings.slowMs > 0 && facts.durationMs >= settings.slowMs) return 'slow';
  if (matchesKeep(settings.keep, facts.spans)) return 'keep_rule';
  return undefined;
}

/**
 * Where a trace key falls in [0, 1) (FNV-1a, 32 bits, then murmur3's final mix so that keys differing in
 * their last digits spread evenly): the same trace gets the same fraction on every instance and every
 * delivery, so a rate keeps the same traces wherever it is applied.
 */
export function traceFraction(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/** The lowest adaptive rate (one trace in a thousand): the rate can always climb back. */
export const MIN_ADAPTIVE_RATE = 0.001;

/**
 * The adaptive rate: the share of adaptive traces offered to the budget, so that what the budget grants is
 * spread over the trace-id space and over the second rather than taken first come, first served. Per
 * window of `windowMs` it compares the documents offered (before the rate) with those the budget granted:
 * when the budget refused some, the rate moves towards granted / offered; when it refused none, it grows.
 */
export class AdaptiveRate {
  readonly #windowMs: number;
  #rate = 1;
  #windowStartMs: number | undefined;
  #offered = 0;
  #granted = 0;
  #refused = false;

  constructor(windowMs = 1000) {
    this.#windowMs = windowMs;
  }

  /** The rate to apply at `nowMs` (closes the window when it is over). */
  rateAt(nowMs: number): number {
    if (this.#windowStartMs === undefined) this.#windowStartMs = nowMs;
    if (nowMs - this.#windowStartMs >= this.#windowMs) {
      if (this.#offered > 0) {
        const target = this.#refused ? this.#granted / this.#offered : Math.min(1, this.#rate * 2);
        this.#rate = Math.min(1, Math.max(MIN_ADAPTIVE_RATE, (this.#rate + target) / 2));
      }
      this.#windowStartMs = nowMs;
      this.#offered = 0;
      this.#granted = 0;
      this.#refused = false;
    }
    return this.#rate;
  }

  /** `offered` documents of adaptive traces arrived; `granted` of them went out; `refused`: the budget said no to some. */
  observe(offered: number, granted: number, refused: boolean): void {
    this.#offered += offered;
    this.#granted += granted;
    this.#refused ||= refused;
  }
}
