/**
 * X-Ray throttling as the fault test (test/e2e/backbone/faults.test.ts) and the throttle soak
 * (bench/failover.bench.ts) apply it, one mechanism for both: xray-local's emulated throttle
 * (`throttleSegmentsPerSecond`, a token bucket answering ThrottledException) on a listener that records the
 * time of every PutTraceSegments call. xray-local's throttle is fixed per app, so lifting it rebuilds the
 * app on the same port over the same store (the translators keep their endpoint; a call during the swap
 * fails and is retried like any unavailable X-Ray).
 */
import type { SegmentStore } from '../../services/xray-local/index.ts';
import { startXRayLocal, type XRayLocal } from './xray-local.ts';

export interface ThrottledXRay {
  /** The throttled listener (closed by `lift`). */
  readonly xray: XRayLocal;
  readonly segmentsPerSecond: number;
  /** Date.now() when the throttled listener started listening: at most `segmentsPerSecond` pass from here, plus a 1 s burst. */
  readonly sinceMs: number;
  /** Date.now() of each PutTraceSegments call the throttled listener received. */
  readonly calls: readonly number[];
  /** Closes the throttled listener and serves the same store on the same port without a throttle. */
  lift(): Promise<XRayLocal>;
}

export async function startThrottledXRayLocal(o: { port: number; store: SegmentStore; segmentsPerSecond: number }): Promise<ThrottledXRay> {
  const calls: number[] = [];
  const xray = await startXRayLocal({
    port: o.port, store: o.store, throttleSegmentsPerSecond: o.segmentsPerSecond,
    configure: (app) => app.addHook('onRequest', async (req) => { if (req.url === '/TraceSegments') calls.push(Date.now()); }),
  });
  return {
    xray, segmentsPerSecond: o.segmentsPerSecond, sinceMs: Date.now(), calls,
    lift: async () => {
      await xray.close();
      return startXRayLocal({ port: o.port, store: o.store });
    },
  };
}

/** Calls per second over [fromMs, toMs): their mean, and the busiest whole second from `fromMs` on. */
export function callRate(calls: readonly number[], fromMs: number, toMs: number): { mean: number; peak: number } {
  const seconds = Math.max(1, Math.floor((toMs - fromMs) / 1000));
  const perSecond = new Array<number>(seconds).fill(0);
  let inWindow = 0;
  for (const at of calls) {
    if (at < fromMs || at >= toMs) continue;
    inWindow += 1;
    const i = Math.floor((at - fromMs) / 1000);
    if (i < seconds) perSecond[i] = (perSecond[i] ?? 0) + 1;
  }
  return { mean: inWindow / ((toMs - fromMs) / 1000), peak: Math.max(0, ...perSecond) };
}
