import type { BatchControl } from '../../consume/span-source.ts';
import type { PutOutcome, SegmentSink } from '../segment-sink.ts';
import { mergeOutcomes, type PartOutcome } from './merge-outcomes.ts';

export interface LingeringSegmentSinkOptions {
  /** Longest wait for more documents before a call goes out short (EXPORT_LINGER; 0: no lingering). */
  readonly lingerMs: number;
  /** Documents per call (X-Ray: at most 50): a full call goes out at once. */
  readonly fullCallDocuments: number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** One caller's `put`: its documents may go out in several flushes; it resolves once every one answered. */
interface Waiter {
  readonly control: BatchControl | undefined;
  readonly parts: Promise<PartOutcome>[];
  remaining: number;
  resolve(outcome: Promise<PutOutcome>): void;
}

interface Pending {
  readonly document: string;
  readonly waiter: Waiter;
  readonly index: number;
}

/** The control a call carrying several callers' documents runs under: heartbeats all, active while all are. */
export function jointControl(of: readonly (BatchControl | undefined)[]): BatchControl | undefined {
  const controls = [...new Set(of.filter((c): c is BatchControl => c !== undefined))];
  if (controls.length <= 1) return controls[0];
  return {
    heartbeat: async () => { await Promise.all(controls.map((c) => c.heartbeat())); },
    isActive: () => controls.every((c) => c.isActive()),
  };
}

/**
 * SegmentSink decorator, outermost: fills PutTraceSegments calls. Documents of puts that arrive together
 * (the partitions exported side by side, PARTITIONS_CONCURRENCY) are pooled; whole calls of
 * `fullCallDocuments` go out at once, and the remainder waits at most `lingerMs` for more before it goes out
 * short. Each caller's outcome holds its own documents only (indices into its `documents`), merged from
 * the flushes that carried them. A flush runs under a joint BatchControl (heartbeats every caller; stops
 * retrying once any caller is no longer active: those documents are `unfinished`, as without lingering).
 * Same idea as the OpenTelemetry BatchSpanProcessor's scheduledDelayMillis / maxExportBatchSize, bounded
 * so that a lone batch waits `lingerMs` at most.
 */
export class LingeringSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #o: LingeringSegmentSinkOptions;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (timer: unknown) => void;
  #pending: Pending[] = [];
  #timer: unknown;

  constructor(inner: SegmentSink, options: LingeringSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((t) => { clearTimeout(t as ReturnType<typeof setTimeout>); });
  }

  put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    if (documents.length === 0) return Promise.resolve({ rejected: [] });
    if (this.#o.lingerMs <= 0) return this.#inner.put(documents, control);
    return new Promise<PutOutcome>((resolve) => {
      const waiter: Waiter = { control, parts: [], remaining: documents.length, resolve };
      for (let index = 0; index < documents.length; index++) this.#pending.push({ document: documents[index] as string, waiter, index });
      const full = Math.max(1, this.#o.fullCallDocuments);
      const whole = this.#pending.length - (this.#pending.length % full);
      if (whole > 0) this.#flush(whole);
      if (this.#pending.length > 0 && this.#timer === undefined) {
        this.#timer = this.#setTimer(() => {
          this.#timer = undefined;
          this.#flush(this.#pending.length);
        }, this.#o.lingerMs);
      } else if (this.#pending.length === 0 && this.#timer !== undefined) {
        this.#clearTimer(this.#timer);
        this.#timer = undefined;
      }
    });
  }

  /** Sends the first `count` pending documents as one put of the inner sink. */
  #flush(count: number): void {
    const batch = this.#pending.slice(0, count);
    this.#pending = this.#pending.slice(count);
    const waiters = [...new Set(batch.map((p) => p.waiter))];
    const sent = this.#inner.put(batch.map((p) => p.document), jointControl(waiters.map((w) => w.control)));
    for (const waiter of waiters) {
      const mine: number[] = [];
      const theirs: number[] = [];
      batch.forEach((p, i) => { if (p.waiter === waiter) { mine.push(i); theirs.push(p.index); } });
      const part = sent.then((outcome) => ({ outcome: outcomeFor(outcome, mine), indices: theirs }));
      part.catch(() => undefined); // observed by the waiter's Promise.all once its last document went out
      waiter.parts.push(part);
      waiter.remaining -= mine.length;
      if (waiter.remaining === 0) waiter.resolve(Promise.all(waiter.parts).then(mergeOutcomes));
    }
  }
}

/** The part of a flush's outcome about the flush positions `positions`, re-indexed 0.. in that order. */
function outcomeFor(outcome: PutOutcome, positions: readonly number[]): PutOutcome {
  if (outcome.rejected.length === 0 && outcome.unfinished === undefined) return outcome;
  const at = new Map(positions.map((p, i) => [p, i]));
  const rejected = outcome.rejected.flatMap((r) => {
    const i = at.get(r.index);
    return i === undefined ? [] : [{ ...r, index: i }];
  });
  const unfinished = outcome.unfinished?.indices.flatMap((u) => {
    const i = at.get(u);
    return i === undefined ? [] : [i];
  }) ?? [];
  if (outcome.unfinished === undefined || unfinished.length === 0) return { rejected };
  return { rejected, unfinished: { ...outcome.unfinished, indices: unfinished } };
}
