import { sleepMs, type NowMs, type Sleep } from './clock.ts';

export interface TokenBucketOptions {
  /** Refill rate in tokens per second (> 0). */
  readonly ratePerSecond: number;
  /** Tokens the bucket holds when full; default one second's worth (at least 1). */
  readonly capacity?: number;
  /** The clock; read at construction (the bucket starts full) and at every call. */
  readonly nowMs: NowMs;
  /** Used by `acquire` only; default a real timer (`sleepMs`). */
  readonly sleep?: Sleep;
}

/**
 * A token bucket that refills continuously at `ratePerSecond` up to `capacity`. Two ways to draw:
 * - `take(wanted)`: grants what is there now, whole tokens, never into debt (xray-local's emulated
 *   PutTraceSegments throttle grants part of a call and reports the rest as throttled);
 * - `reserve(n)` / `acquire(n)`: takes all `n` at once, going into debt, and the caller waits the debt off
 *   (replay's rate limit), so the long-run rate is exactly `ratePerSecond` whatever the request sizes.
 * A clock going backwards mints nothing.
 */
export class TokenBucket {
  readonly #ratePerSecond: number;
  readonly #capacity: number;
  readonly #nowMs: NowMs;
  readonly #sleep: Sleep;
  #tokens: number;
  #lastMs: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new Error(`TokenBucket: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    this.#ratePerSecond = options.ratePerSecond;
    this.#capacity = Math.max(1, options.capacity ?? options.ratePerSecond);
    this.#nowMs = options.nowMs;
    this.#sleep = options.sleep ?? sleepMs;
    this.#tokens = this.#capacity;
    this.#lastMs = options.nowMs();
  }

  /** Tokens available now (negative while in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes up to `wanted` whole tokens without going into debt; returns how many were granted (0 … wanted). */
  take(wanted: number): number {
    this.#refill();
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.#tokens)));
    this.#tokens -= granted;
    return granted;
  }

  /** Takes `n` tokens, into debt if need be; returns how long (whole ms) the caller must wait before using them. */
  reserve(n: number): number {
    this.#refill();
    this.#tokens -= n;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#ratePerSecond) * 1000);
  }

  /**
   * Gives back `n` tokens reserved and never used (a wait abandoned: the caller stopped before sending), so
   * the next caller does not wait off a debt no one spent; never above `capacity`.
   */
  release(n: number): void {
    if (!(n > 0)) return;
    this.#refill();
    this.#tokens = Math.min(this.#capacity, this.#tokens + n);
  }

  /** Takes `n` tokens and resolves when they may be used (at once when the bucket held them). */
  async acquire(n: number): Promise<void> {
    if (n <= 0) return;
    const waitMs = this.reserve(n);
    if (waitMs > 0) await this.#sleep(waitMs);
  }

  #refill(): void {
    const now = this.#nowMs();
    if (now <= this.#lastMs) return;
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#lastMs) / 1000) * this.#ratePerSecond);
    this.#lastMs = now;
  }
}
