/**
 * Full-jitter exponential backoff, the one formula every retry loop in meshray uses (X-Ray export,
 * Kafka span publishing and admin start-up, the Redis reconnect). Source: AWS Architecture Blog, "Exponential Backoff And Jitter" (2015), "Full
 * Jitter": sleep = random_between(0, min(cap, base · 2^attempt)); the AWS SDKs' default retry strategy
 * uses the same shape.
 */

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay (ms). */
  readonly baseMs: number;
  /** Largest ceiling (ms): the delay never exceeds it. */
  readonly maxMs: number;
}

/** Doublings after which the ceiling is `maxMs` for any sane policy (keeps 2^n finite). */
const MAX_DOUBLINGS = 30;

/**
 * The delay (whole ms) before retry number `retry` (1 = the first retry): uniform in
 * [0, min(maxMs, baseMs · 2^(retry-1))). `random` returns [0, 1) (`Math.random` in production).
 */
export function fullJitterDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const doublings = Math.min(MAX_DOUBLINGS, Math.max(0, retry - 1));
  const ceilingMs = Math.min(policy.maxMs, policy.baseMs * 2 ** doublings);
  return Math.floor(random() * ceilingMs);
}
