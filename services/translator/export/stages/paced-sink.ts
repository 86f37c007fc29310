import { sleepMs, type NowMs, type Sleep } from '../../../../shared/edge/resilience/clock.ts';
import type { BatchControl } from '../../consume/span-source.ts';
import type { PutOutcome, SegmentSink } from '../segment-sink.ts';

export interface PacedSegmentSinkOptions {
  /** Spacing between calls once X-Ray throttles (XRAY_RETRY_BASE), ms. */
  readonly baseMs: number;
  /** Largest spacing (XRAY_RETRY_MAX), ms. */
  readonly maxMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  readonly nowMs?: NowMs;
}

const ABANDONED = 'export abandoned: partition revoked or consumer stopping';

/**
 * SegmentSink decorator, ONE per sink, in front of the concurrency gate: while X-Ray throttles, the calls of
 * every chunk and partition are spaced, so a sustained throttle does not multiply calls. Each chunk's own
 * backoff (RetryingSegmentSink) restarts with every new chunk and every redelivered batch: under a growing
 * lag many chunks retry side by side, and a 5-minute throttle at half the offered rate drew ~100 calls/s
 * from one translator before this stage (bench/failover.bench.ts BENCH_FAILOVER_ONLY=throttle).
 * - The spacing starts at 0 (calls go at once). An answer with documents throttled and none accepted doubles
 *   it (from `baseMs` up to `maxMs`); a throttled answer that accepted some halves it, not below `baseMs`
 *   (while calls take what X-Ray lets through they go every `baseMs`: at most 1000/`baseMs` calls/s); an
 *   answer without throttling halves it, to 0 below `baseMs`. (Holding the spacing on a partly accepted
 *   answer instead let it ratchet up: the soak then took half of what the throttle allowed, in calls of
 *   few documents each.)
 * - A call waits until the previous call's start plus the spacing with jitter (uniform in [½, 1½) of it),
 *   heartbeating the source on each wake-up; a source no longer active gets its documents back unfinished.
 */
export class PacedSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #o: PacedSegmentSinkOptions;
  readonly #random: () => number;
  readonly #sleep: Sleep;
  readonly #now: NowMs;
  #spacingMs = 0;
  #nextAtMs = 0;

  constructor(inner: SegmentSink, options: PacedSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepMs;
    this.#now = options.nowMs ?? Date.now;
  }

  /** The current spacing between calls (ms; 0 = unpaced). */
  get spacingMs(): number {
    return this.#spacingMs;
  }

  async put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    if (!(await this.#turn(control))) {
      return { rejected: [], unfinished: { code: 'NOT_READY', message: ABANDONED, indices: documents.map((_, i) => i) } };
    }
    const outcome = await this.#inner.put(documents, control);
    this.#learn(documents.length, outcome);
    return outcome;
  }

  /** Waits for this call's turn; false when the source is no longer active. */
  async #turn(control?: BatchControl): Promise<boolean> {
    for (;;) {
      if (control && !control.isActive()) return false;
      const now = this.#now();
      if (this.#spacingMs === 0 || now >= this.#nextAtMs) {
        this.#nextAtMs = now + Math.floor(this.#spacingMs * (0.5 + this.#random()));
        return true;
      }
      await control?.heartbeat();
      await this.#sleep(this.#nextAtMs - now);
    }
  }

  #learn(sent: number, outcome: PutOutcome): void {
    const { baseMs, maxMs } = this.#o;
    const left = outcome.unfinished;
    if (left?.code !== 'XRAY_THROTTLED') {
      this.#spacingMs = this.#spacingMs / 2 < baseMs ? 0 : this.#spacingMs / 2;
      return;
    }
    const accepted = sent - outcome.rejected.length - left.indices.length;
    this.#spacingMs = accepted > 0 ? Math.max(baseMs, this.#spacingMs / 2) : Math.min(maxMs, Math.max(baseMs, this.#spacingMs * 2));
  }
}
