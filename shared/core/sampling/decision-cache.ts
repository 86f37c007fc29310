/**
 * Sampling decisions by trace key for `ttlMs` (at most `maxEntries`, oldest forgotten first), so that spans
 * arriving after their trace was decided (late spans, a trace flushed in parts) follow its decision. Pure:
 * `nowMs` is an input.
 */
import type { SamplePolicy } from './policy.ts';

export interface Decision {
  readonly kept: boolean;
  readonly policy: SamplePolicy;
}

export class DecisionCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { readonly decision: Decision; readonly atMs: number }>();

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
    this.#entries.delete(key);
    this.#entries.set(key, { decision, atMs: nowMs });
    this.#expire(nowMs);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  #expire(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (nowMs - entry.atMs < this.#ttlMs) break;
      this.#entries.delete(key);
    }
  }
}
