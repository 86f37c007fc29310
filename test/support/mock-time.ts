/**
 * Helpers for unit tests on node:test mock timers (`t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })`):
 * time moves only when the test moves it, so nothing waits for the wall clock. setImmediate is never among
 * the mocked APIs: it is how these helpers let queued promise callbacks run.
 */
import type { TestContext } from 'node:test';

/** Runs every promise callback already queued. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Moves mock time `ms` forward `stepMs` (default one millisecond) at a time, letting the code under test
 * react to each step (a coarser step for long spans of mock time whose timers are that coarse).
 */
export async function advance(t: TestContext, ms: number, stepMs = 1): Promise<void> {
  for (let i = 0; i < ms; i += stepMs) {
    t.mock.timers.tick(Math.min(stepMs, ms - i));
    await flush();
  }
}

/** Moves mock time one millisecond at a time until `promise` settles; fails after `maxMs` of mock time. */
export async function drive<T>(t: TestContext, promise: Promise<T>, maxMs = 10_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => { settled = true; });
  watched.catch(() => undefined);
  await flush();
  for (let ms = 0; !settled; ms += 1) {
    if (ms >= maxMs) throw new Error(`did not settle within ${maxMs} ms of mock time`);
    t.mock.timers.tick(1);
    await flush();
  }
  return watched;
}
