/**
 * Token bucket in segment documents per second, with an injected clock and sleep (tests drive time).
 * A request larger than what is in the bucket is granted at once and paid back by waiting: the bucket may
 * go into debt, so the long-run rate is exactly `ratePerSecond` whatever the request sizes.
 */
export interface RateLimiterOptions {
  readonly ratePerSecond: number;
  /** Tokens the bucket holds when full (default one second's worth). */
  readonly burst?: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #lastMs: number;

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new Error('RateLimiter: ratePerSecond must be > 0');
    this.#rate = options.ratePerSecond;
    this.#burst = Math.max(1, options.burst ?? options.ratePerSecond);
    this.#now = options.now;
    this.#sleep = options.sleep;
    this.#tokens = this.#burst;
    this.#lastMs = options.now();
  }

  /** Tokens available now (negative while in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes `n` tokens; returns how long the caller must wait (ms) before using them. */
  reserve(n: number): number {
    this.#refill();
    this.#tokens -= n;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }

  /** Takes `n` tokens and resolves when they may be used. */
  async acquire(n: number): Promise<void> {
    if (n <= 0) return;
    const waitMs = this.reserve(n);
    if (waitMs > 0) await this.#sleep(waitMs);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, now);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed / 1000) * this.#rate);
  }
}

/** X-Ray's default PutTraceSegments quota: segment documents per second per Region per account. */
export const XRAY_SEGMENTS_PER_SECOND_QUOTA = 2600;
