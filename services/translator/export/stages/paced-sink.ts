import { sleepMs, type NowMs, type Sleep } from '../../../../shared/edge/resilience/clock.ts';
import type { BatchControl } from '../../consume/span-source.ts';
import { requestBytesOf } from '../chunk.ts';
import type { PutOutcome, SegmentSink } from '../segment-sink.ts';
import { jointControl } from './lingering-sink.ts';

export interface PacedSegmentSinkOptions {
  /** Spacing between calls once X-Ray throttles (XRAY_RETRY_BASE), ms. */
  readonly baseMs: number;
  /** Largest spacing (XRAY_RETRY_MAX), ms. */
  readonly maxMs: number;
  /** Limits of one call that pools waiting puts (X-Ray: 50 documents; the payload bound). */
  readonly maxDocuments: number;
  readonly maxPayloadBytes: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  readonly nowMs?: NowMs;
}

const ABANDONED = 'export abandoned: partition revoked or consumer stopping';

/** A put waiting for a paced call. */
interface Waiting {
  readonly documents: readonly string[];
  readonly bytes: number;
  readonly control: BatchControl | undefined;
  /** Sent in a call of its own: a pooled call that carried it was refused as a whole (SEGMENT_REJECTED). */
  readonly alone: boolean;
  resolve(outcome: PutOutcome): void;
  reject(error: unknown): void;
}

/**
 * SegmentSink decorator, ONE per sink, in front of the concurrency gate: while X-Ray throttles, the calls of
 * every chunk and partition are spaced and pooled, so a sustained throttle neither multiplies calls nor wastes
 * them on a few documents each. Each chunk's own backoff (RetryingSegmentSink) restarts with every new chunk
 * and every redelivered batch: under a growing lag many chunks retry side by side, and a 5-minute throttle at
 * half the offered rate drew ~100 calls/s from one translator before this stage (bench/failover.bench.ts
 * BENCH_FAILOVER_ONLY=throttle); spaced but not pooled, the calls carried a few documents each (about one
 * assembled trace's) and took 63 % of what the throttle allowed.
 * - The spacing starts at 0: puts go to the inner sink at once, side by side. An answer with documents
 *   throttled and none accepted doubles it (from `baseMs` up to `maxMs`); a throttled answer that accepted
 *   some halves it, not below `baseMs`; an answer without throttling halves it, to 0 below `baseMs`.
 * - While it is above 0, puts queue, and one call at a time goes out when its turn comes (the previous
 *   call's start plus the spacing, jittered uniformly in [½, 1½) of it), carrying the waiting puts in arrival
 *   order, whole, up to `maxDocuments` and `maxPayloadBytes` (at least one put). Each put gets its own part
 *   of the answer. Waiting puts' sources are heartbeaten at each wake-up; a put whose source is no longer
 *   active gets its documents back unfinished (NOT_READY), and one whose heartbeat fails (kafkajs: a rebalance
 *   in progress, the coordinator gone) fails with that error, as its own backoff's heartbeat would.
 * - A pooled call refused as a whole (X-Ray's InvalidRequestException: SEGMENT_REJECTED for every document)
 *   says nothing about which put held the invalid document: each of its puts goes again in a call of its own
 *   (on the following turns), so the stage above (BisectingSegmentSink) isolates the document within its own
 *   put, and a good document is never refused for another partition's bad one.
 */
export class PacedSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #o: PacedSegmentSinkOptions;
  readonly #random: () => number;
  readonly #sleep: Sleep;
  readonly #now: NowMs;
  #spacingMs = 0;
  #nextAtMs = 0;
  #queue: Waiting[] = [];
  #pumping = false;

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
    if (this.#spacingMs === 0 && this.#queue.length === 0) {
      this.#nextAtMs = this.#now();
      return this.#call(documents, control);
    }
    return new Promise<PutOutcome>((resolve, reject) => {
      this.#queue.push({ documents, bytes: documents.reduce((n, d) => n + requestBytesOf(d), 0), control, alone: false, resolve, reject });
      if (!this.#pumping) this.#pump().catch((error: unknown) => { this.#failAll(error); });
    });
  }

  async #call(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    const outcome = await this.#inner.put(documents, control);
    this.#learn(documents.length, outcome);
    return outcome;
  }

  /** Sends the queue's puts, one pooled call per turn, until the queue is empty. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      await Promise.resolve(); // puts arriving in the same tick share the first call
      for (;;) {
        this.#abandonInactive();
        if (this.#queue.length === 0) return;
        const now = this.#now();
        if (this.#spacingMs > 0 && now < this.#nextAtMs) {
          await this.#heartbeat();
          await this.#sleep(this.#nextAtMs - now);
          continue;
        }
        this.#nextAtMs = now + Math.floor(this.#spacingMs * (0.5 + this.#random()));
        const taken = this.#take();
        let outcome: PutOutcome;
        try {
          outcome = await this.#call(taken.flatMap((w) => w.documents), jointControl(taken.map((w) => w.control)));
        } catch (error) {
          for (const w of taken) w.reject(error);
          continue;
        }
        if (taken.length > 1 && outcome.unfinished?.code === 'SEGMENT_REJECTED') {
          this.#queue.unshift(...taken.map((w) => ({ ...w, alone: true })));
          continue;
        }
        let offset = 0;
        for (const w of taken) {
          w.resolve(partOf(outcome, offset, w.documents.length));
          offset += w.documents.length;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Heartbeats the waiting puts' sources; the puts of a source whose heartbeat fails fail with its error. */
  async #heartbeat(): Promise<void> {
    const failed = await Promise.all([...new Set(this.#queue.map((w) => w.control))].map(async (control) => {
      try {
        await control?.heartbeat();
        return undefined;
      } catch (error) {
        return { control, error };
      }
    }));
    for (const f of failed) {
      if (f === undefined) continue;
      const gone = this.#queue.filter((w) => w.control === f.control);
      this.#queue = this.#queue.filter((w) => w.control !== f.control);
      for (const w of gone) w.reject(f.error);
    }
  }

  /** Unexpected: every waiting put fails with `error` (none is left waiting for a pump that stopped). */
  #failAll(error: unknown): void {
    const gone = this.#queue;
    this.#queue = [];
    for (const w of gone) w.reject(error);
  }

  /**
   * The waiting puts of the next call: in arrival order, whole, within the call's limits (at least one); a put
   * to be sent alone goes alone.
   */
  #take(): Waiting[] {
    let documents = 0;
    let bytes = 0;
    let n = 0;
    for (const w of this.#queue) {
      if (n > 0 && (w.alone || documents + w.documents.length > this.#o.maxDocuments || bytes + w.bytes > this.#o.maxPayloadBytes)) break;
      if (w.alone) {
        n = 1;
        break;
      }
      documents += w.documents.length;
      bytes += w.bytes;
      n += 1;
    }
    return this.#queue.splice(0, n);
  }

  #abandonInactive(): void {
    const [gone, kept] = [this.#queue.filter((w) => w.control?.isActive() === false), this.#queue.filter((w) => w.control?.isActive() !== false)];
    this.#queue = kept;
    for (const w of gone) w.resolve({ rejected: [], unfinished: { code: 'NOT_READY', message: ABANDONED, indices: w.documents.map((_, i) => i) } });
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

/** The part of a pooled call's outcome about its documents [offset, offset + length), re-indexed from 0. */
function partOf(outcome: PutOutcome, offset: number, length: number): PutOutcome {
  const mine = (i: number): boolean => i >= offset && i < offset + length;
  const rejected = outcome.rejected.filter((r) => mine(r.index)).map((r) => ({ ...r, index: r.index - offset }));
  const left = outcome.unfinished?.indices.filter(mine).map((i) => i - offset) ?? [];
  return outcome.unfinished === undefined || left.length === 0 ? { rejected } : { rejected, unfinished: { ...outcome.unfinished, indices: left } };
}
