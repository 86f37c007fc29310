/**
 * Sampling decisions by trace key for `ttlMs` (at most `maxEntries`, oldest forgotten first), so that spans
 * arriving after their trace was decided (late spans, a trace flushed in parts) follow its decision. Pure:
 * `nowMs` is an input.
 */
import type { SamplePolicy } from './policy.ts';
import { RecencyMap } from '../collections/recency-map.ts';

export interface Decision {
  readonly kept: boolean;
  readonly policy: SamplePolicy;
}

/**
 * The sampling decisions by trace key; `get` answers a decision younger than `ttlMs` at `nowMs` (ms, an input),
 * and the oldest decisions are forgotten past `maxEntries`.
 */
export class DecisionCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  /** Oldest first (a RecencyMap: a plain Map's start holds the holes its deletes left, walked on each expiry). */
  readonly #entries = new RecencyMap<{ readonly decision: Decision; readonly atMs: number }>();

  constructor(options: { readonly ttlMs: number; readonly maxEntries: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = Math.max(1, options.maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, nowMs: number): Decision | undefined {
    this.#expire(nowMs);
    return this.#entries.get(key)?.decision;
  }

  set(key: string, decision: Decision, nowMs: number): void {
    this.#entries.set(key, { decision, atMs: nowMs });
    this.#expire(nowMs);
    while (this.#entries.size > this.#maxEntries) this.#entries.shift();
  }

  #expire(nowMs: number): void {
    for (let oldest = this.#entries.oldest(); oldest !== undefined && nowMs - oldest.value.atMs >= this.#ttlMs; oldest = this.#entries.oldest()) {
      this.#entries.shift();
    }
  }
}
