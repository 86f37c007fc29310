/**
 * The two time primitives the resilience module takes as inputs, so tests drive time with node:test's
 * `mock.timers` (or a fake clock) instead of waiting for it.
 */

/** Wall-clock milliseconds since the Unix epoch (`Date.now` in production). */
export type NowMs = () => number;

/** Resolves after `ms` milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/**
 * The production sleep: a `setTimeout` looked up when called, so node:test `mock.timers` drives it too.
 * A negative or NaN `ms` resolves on the next timer tick.
 */
export const sleepMs: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) || 0));
