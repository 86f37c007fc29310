import { fullJitterDelayMs } from '../../../../shared/edge/resilience/backoff.ts';
import { sleepMs, type Sleep } from '../../../../shared/edge/resilience/clock.ts';
import type { BatchControl } from '../../consume/span-source.ts';
import { actionFor } from '../../policy/error-policy.ts';
import type { PutOutcome, RejectedDocument, SegmentSink } from '../segment-sink.ts';

export interface RetryingSegmentSinkOptions {
  /** Retries before the documents still pending come back `unfinished` (XRAY_MAX_RETRIES). */
  readonly maxRetries: number;
  /** Full-jitter backoff (shared/edge/resilience/backoff.ts): base and cap of the delay, ms. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
}

const ABANDONED = 'export abandoned: partition revoked or consumer stopping';

/**
 * SegmentSink decorator: puts again the documents the inner stage left `unfinished` with a retryable code
 * (error policy `retry`), after a full-jitter backoff, heartbeating the source before each wait and giving
 * up with NOT_READY once it is no longer active. A refused caller (`halt`) is not retried. After
 * `maxRetries` the documents still pending come back `unfinished`: the batch is redelivered.
 */
export class RetryingSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #o: RetryingSegmentSinkOptions;
  readonly #random: () => number;
  readonly #sleep: Sleep;

  constructor(inner: SegmentSink, options: RetryingSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepMs;
  }

  async put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    const rejected: RejectedDocument[] = [];
    let pending = documents.map((_, i) => i);
    for (let retry = 0; ; retry += 1) {
      if (retry > 0 && !(await this.#backoff(retry, control))) {
        return done(rejected, { code: 'NOT_READY', message: ABANDONED, indices: pending });
      }
      const outcome = await this.#inner.put(pending.map((i) => documents[i] ?? ''), control);
      rejected.push(...outcome.rejected.map((r) => ({ ...r, index: pending[r.index] ?? r.index })));
      const left = outcome.unfinished;
      if (left === undefined) return done(rejected);
      const indices = left.indices.map((i) => pending[i] ?? i);
      if (actionFor(left.code) !== 'retry') return done(rejected, { ...left, indices });
      if (retry >= this.#o.maxRetries) {
        return done(rejected, { code: left.code, message: `PutTraceSegments gave up after ${retry} retries (${indices.length} documents pending): ${left.message}`, indices });
      }
      pending = indices;
    }
  }

  /** Waits a backoff; false when the source is no longer active (before or after the wait). */
  async #backoff(retry: number, control?: BatchControl): Promise<boolean> {
    if (control) {
      if (!control.isActive()) return false;
      await control.heartbeat();
    }
    await this.#sleep(fullJitterDelayMs(retry, { baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs }, this.#random));
    return !(control && !control.isActive());
  }
}

function done(rejected: RejectedDocument[], unfinished?: PutOutcome['unfinished']): PutOutcome {
  rejected.sort((a, b) => a.index - b.index);
  return unfinished === undefined ? { rejected } : { rejected, unfinished: { ...unfinished, indices: [...unfinished.indices].sort((a, b) => a - b) } };
}

