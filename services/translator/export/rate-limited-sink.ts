import type { Sleep } from '../../../shared/edge/resilience/clock.ts';
import type { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { PutOutcome, RejectedDocument } from './segment-sink.ts';

/** Any sink with the SegmentSink contract over documents of type `T`. */
interface PutSink<T> {
  put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome>;
}

export interface RateLimitedSegmentSinkOptions {
  /**
   * The bucket: one token per document (shared/edge/resilience TokenBucket, `reserve` says how long to wait the
   * debt off; `release` gives back the tokens of a slice abandoned while waiting for them).
   */
  readonly limiter: Pick<TokenBucket, 'reserve' | 'release'>;
  /** Waits that many ms (shared/edge/resilience/clock.ts sleepMs). */
  readonly sleep: Sleep;
  /** Documents per rate-limited `put` to the inner sink (about a second's worth). */
  readonly sliceDocuments: number;
  /** A wait for tokens is slept in steps of at most this (ms), heartbeating between them; default 1000. */
  readonly waitStepMs?: number;
}

/** Longest sleep between two heartbeats while waiting for tokens: well inside any consumer session timeout. */
const DEFAULT_WAIT_STEP_MS = 1_000;

/**
 * SegmentSink decorator: at most the bucket's rate of documents per second reach the inner sink (`meshray
 * replay --rate`, sharing X-Ray's per-account quota with the live translators). A `put` goes on in slices of
 * `sliceDocuments`, each waiting for its tokens in steps of at most `waitStepMs`, heartbeating the source after
 * each step (at `--rate 0.5` a slice of 50 waited 100 s without one, past the consumer's session: the group
 * dropped the replay). It stops at the first slice not taken in full, and before a slice once the source is
 * no longer active (Ctrl-C, a revoke: NOT_READY): the rest of the documents are `unfinished` with it
 * (indices into the caller's `documents`, like every SegmentSink).
 *
 * Shaped like the other SegmentSink decorators on purpose (the inner sink and options held, `put` wrapping
 * the inner `put`): one behaviour per decorator, composed by the caller (docs/CONVENTIONS.md, "Translator ports").
 */
/** `T`: the documents (JSON strings for segments; OTLP spans for EXPORT_PROTOCOL=otlp, one token per span). */
export class RateLimitedSegmentSink<T = string> implements PutSink<T> {
  readonly #inner: PutSink<T>;
  readonly #o: RateLimitedSegmentSinkOptions;

  constructor(inner: PutSink<T>, options: RateLimitedSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
  }

  async put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome> {
    const size = Math.max(1, this.#o.sliceDocuments);
    const rejected: RejectedDocument[] = [];
    const stopped = (start: number): PutOutcome => ({
      rejected,
      unfinished: { code: 'NOT_READY', message: 'export abandoned: partition revoked or consumer stopping', indices: Array.from({ length: documents.length - start }, (_, i) => start + i) },
    });
    for (let start = 0; start < documents.length; start += size) {
      const slice = documents.slice(start, start + size);
      if (start > 0) await control?.heartbeat();
      if (control !== undefined && !control.isActive()) return stopped(start);
      if (!(await this.#waitFor(slice.length, control))) return stopped(start);
      const outcome = await this.#inner.put(slice, control);
      rejected.push(...outcome.rejected.map((r) => ({ ...r, index: r.index + start })));
      if (outcome.unfinished) {
        const rest = Array.from({ length: documents.length - start - slice.length }, (_, i) => start + slice.length + i);
        return { rejected, unfinished: { ...outcome.unfinished, indices: [...outcome.unfinished.indices.map((i) => i + start), ...rest] } };
      }
    }
    return { rejected };
  }

  /**
   * Takes `n` tokens and sleeps their debt off in steps, heartbeating; false once the source is no longer active,
   * and then the `n` tokens go back to the bucket: the slice was never sent, so the batch redelivered after a
   * revoke does not wait off its debt as well (found by review: a revoke mid-wait cost the next batch that wait);
   * likewise when a heartbeat throws (the error goes on to the caller, which abandons the batch).
   */
  async #waitFor(n: number, control: BatchControl | undefined): Promise<boolean> {
    const step = Math.max(1, this.#o.waitStepMs ?? DEFAULT_WAIT_STEP_MS);
    try {
      for (let leftMs = this.#o.limiter.reserve(n); leftMs > 0; leftMs -= step) {
        await this.#o.sleep(Math.min(step, leftMs));
        if (control === undefined) continue;
        await control.heartbeat();
        if (!control.isActive()) {
          this.#o.limiter.release(n);
          return false;
        }
      }
    } catch (error) {
      // A heartbeat that throws (kafkajs: the group is rebalancing) abandons the batch as surely as a revoke.
      this.#o.limiter.release(n);
      throw error;
    }
    return true;
  }
}
