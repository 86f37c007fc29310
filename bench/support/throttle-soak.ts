/**
 * The fault of the throttle soak (issue 10 §2, bench/failover.bench.ts BENCH_FAILOVER_ONLY=throttle):
 * X-Ray answers ThrottledException past HALF the offered rate for `throttleMs`, through the same
 * mechanism as the e2e throttle test (test/support/xray-throttle.ts). The offered rate is measured first:
 * documents xray-local stored per second, unthrottled, over BASELINE_MS under the run's load. During the
 * throttle it samples, once a second, the group's lag (records not committed) and the documents stored;
 * after `lift()` it waits until the lag is back to its unthrottled level (the catch-up, load still on).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { groupProgress, lagOf } from '../../test/e2e/support/kafka.ts';
import type { FaultContext } from '../../test/e2e/support/failover.ts';
import { counterValue } from '../../test/support/xray-local.ts';
import { callRate } from '../../test/support/xray-throttle.ts';

const BASELINE_MS = 20_000;

export interface ThrottleSoak {
  /** Documents stored per second before the throttle (the offered rate) and the throttle's rate (half). */
  offeredDocumentsPerSecond: number;
  throttleSegmentsPerSecond: number;
  throttledMs: number;
  /** PutTraceSegments calls per second while throttled, from its second second on: mean, busiest second. */
  calls: { mean: number; peak: number };
  /** Documents X-Ray accepted per second while throttled. */
  acceptedDocumentsPerSecond: number;
  /** Calls answered ThrottledException as a whole, and documents refused, by the throttled listener. */
  throttledCalls: number;
  throttledDocuments: number;
  /** Largest lag (records) before the throttle, and during it. */
  baselineLagPeak: number;
  lagPeak: number;
  /** From lift() until the lag is back to the baseline's peak (traffic continuing). */
  catchUpMs: number;
}

export function throttleFault(throttleMs: number, catchUpTimeoutMs: number): { fault: (ctx: FaultContext) => Promise<void>; result: () => ThrottleSoak } {
  let result: ThrottleSoak | undefined;
  const fault = async (ctx: FaultContext): Promise<void> => {
    const lag = async (): Promise<number> => lagOf(await groupProgress(ctx.kafka, ctx.names.groupId, ctx.topic));
    const baselineStart = { atMs: Date.now(), documents: ctx.store.segmentCount };
    let baselineLagPeak = 0;
    while (Date.now() - baselineStart.atMs < BASELINE_MS) {
      baselineLagPeak = Math.max(baselineLagPeak, await lag());
      await sleep(1000); // lag sampling period
    }
    const offeredDocumentsPerSecond = (ctx.store.segmentCount - baselineStart.documents) / ((Date.now() - baselineStart.atMs) / 1000);
    const rate = Math.max(1, Math.floor(offeredDocumentsPerSecond / 2));
    const throttled = await ctx.xrayThrottle(rate);
    const start = { atMs: throttled.sinceMs, documents: ctx.store.segmentCount };
    let lagPeak = 0;
    for (let i = 1; Date.now() - start.atMs < throttleMs; i += 1) {
      lagPeak = Math.max(lagPeak, await lag());
      if (i % 10 === 0) process.stderr.write(`[throttle] +${Math.round((Date.now() - start.atMs) / 1000)} s: lag peak ${lagPeak} records, ${ctx.store.segmentCount - start.documents} documents accepted, ${throttled.calls.length} calls\n`);
      await sleep(Math.min(1000, Math.max(0, throttleMs - (Date.now() - start.atMs)))); // lag sampling period, within the throttle under test
    }
    const endMs = Date.now();
    const accepted = ctx.store.segmentCount - start.documents;
    const throttledCalls = await counterValue(throttled.xray.registry, 'meshray_xray_local_calls_throttled_total');
    const throttledDocuments = await counterValue(throttled.xray.registry, 'meshray_xray_local_segments_throttled_total');
    lagPeak = Math.max(lagPeak, await lag());
    await throttled.lift();
    const liftedAt = Date.now();
    const deadline = liftedAt + catchUpTimeoutMs;
    let last = lagPeak;
    while ((last = await lag()) > baselineLagPeak) {
      if (Date.now() > deadline) throw new Error(`lag ${last} records ${catchUpTimeoutMs} ms after the throttle was lifted (unthrottled peak ${baselineLagPeak})`);
      await sleep(500); // lag polling period
    }
    result = {
      offeredDocumentsPerSecond, throttleSegmentsPerSecond: rate, throttledMs: endMs - start.atMs,
      calls: callRate(throttled.calls, start.atMs + 1000, endMs),
      acceptedDocumentsPerSecond: accepted / ((endMs - start.atMs) / 1000),
      throttledCalls, throttledDocuments, baselineLagPeak, lagPeak, catchUpMs: Date.now() - liftedAt,
    };
  };
  return {
    fault,
    result: () => {
      if (result === undefined) throw new Error('the throttle fault did not run');
      return result;
    },
  };
}
