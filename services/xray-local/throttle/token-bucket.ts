/**
 * A token bucket that refills continuously at `ratePerSecond` and holds at most `capacity` tokens
 * (one second's worth by default). The clock is an input: `nowMs` is passed to every call.
 */
export class TokenBucket {
  readonly #ratePerSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #lastRefillMs: number | undefined;

  constructor(options: { ratePerSecond: number; capacity?: number }) {
    if (!(options.ratePerSecond > 0)) throw new Error('TokenBucket: ratePerSecond must be > 0');
    this.#ratePerSecond = options.ratePerSecond;
    this.#capacity = options.capacity ?? options.ratePerSecond;
    this.#tokens = this.#capacity;
  }

  /** Takes up to `wanted` whole tokens; returns how many were granted (0 … wanted). */
  take(wanted: number, nowMs: number): number {
    this.#refill(nowMs);
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.#tokens)));
    this.#tokens -= granted;
    return granted;
  }

  #refill(nowMs: number): void {
    if (this.#lastRefillMs !== undefined && nowMs > this.#lastRefillMs) {
      const elapsedMs = nowMs - this.#lastRefillMs;
      this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsedMs * this.#ratePerSecond) / 1000);
    }
    if (this.#lastRefillMs === undefined || nowMs > this.#lastRefillMs) this.#lastRefillMs = nowMs;
  }
}
