import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';

/** One accepted document: the exact string PutTraceSegments received, and its parsed form. */
export interface StoredSegment {
  readonly id: string;
  readonly traceId: string;
  readonly document: string;
  readonly parsed: SegmentDocument;
  readonly receivedAtMs: number;
}

/** A trace: its documents keyed by id (a later document with the same id replaces the earlier one). */
export interface StoredTrace {
  readonly traceId: string;
  /** The 8 hex digits after `1-` in the trace id, as epoch seconds. */
  readonly traceIdEpochSec: number;
  readonly firstReceivedMs: number;
  readonly segments: ReadonlyMap<string, StoredSegment>;
}

/**
 * A stored segment parses its document again on first use of `parsed` (queries, the console) instead of
 * keeping the tree PutTraceSegments validated: 200k retained trees made garbage collection xray-local's
 * largest cost under load, while flat strings cost the collector next to nothing.
 */
class LazySegment implements StoredSegment {
  #parsed: SegmentDocument | undefined;

  constructor(
    readonly id: string,
    readonly traceId: string,
    readonly document: string,
    readonly receivedAtMs: number,
  ) {}

  get parsed(): SegmentDocument {
    this.#parsed ??= JSON.parse(this.document) as SegmentDocument;
    return this.#parsed;
  }
}

interface MutableTrace extends StoredTrace {
  readonly segments: Map<string, StoredSegment>;
}

export interface PutOutcome {
  readonly overwritten: boolean;
  readonly evictedTraces: number;
  readonly evictedSegments: number;
}

export const traceIdEpochSecOf = (traceId: string): number => Number.parseInt(traceId.slice(2, 10), 16);

/**
 * The bounded in-memory store behind xray-local. Holds at most `maxSegments` documents; past that the
 * traces seen first are evicted whole. Traces are also kept sorted by their trace-id epoch, the time
 * GetTraceSummaries filters on by default.
 */
export class SegmentStore {
  readonly #maxSegments: number;
  /** Insertion order = first arrival, the eviction order. */
  readonly #traces = new Map<string, MutableTrace>();
  /** Sorted by traceIdEpochSec (stable for equal epochs). */
  readonly #byEpoch: MutableTrace[] = [];
  #segmentCount = 0;

  constructor(options: { maxSegments: number }) {
    if (!(options.maxSegments >= 1)) throw new Error('SegmentStore: maxSegments must be >= 1');
    this.#maxSegments = options.maxSegments;
  }

  get segmentCount(): number {
    return this.#segmentCount;
  }

  get traceCount(): number {
    return this.#traces.size;
  }

  /** Stores a validated document (`parsed` is its JSON); `document` is kept byte for byte for BatchGetTraces. */
  put(parsed: SegmentDocument, document: string, receivedAtMs: number): PutOutcome {
    let trace = this.#traces.get(parsed.trace_id);
    if (!trace) {
      trace = { traceId: parsed.trace_id, traceIdEpochSec: traceIdEpochSecOf(parsed.trace_id), firstReceivedMs: receivedAtMs, segments: new Map() };
      this.#traces.set(trace.traceId, trace);
      this.#byEpoch.splice(this.#upperBound(trace.traceIdEpochSec), 0, trace);
    }
    const overwritten = trace.segments.has(parsed.id);
    trace.segments.set(parsed.id, new LazySegment(parsed.id, parsed.trace_id, document, receivedAtMs));
    if (!overwritten) this.#segmentCount += 1;
    let evictedTraces = 0;
    let evictedSegments = 0;
    while (this.#segmentCount > this.#maxSegments) {
      const oldest = this.#traces.values().next().value;
      if (!oldest) break;
      evictedSegments += oldest.segments.size;
      evictedTraces += 1;
      this.#remove(oldest);
    }
    return { overwritten, evictedTraces, evictedSegments };
  }

  get(traceId: string): StoredTrace | undefined {
    return this.#traces.get(traceId);
  }

  /** Every trace, oldest arrival first. */
  traces(): IterableIterator<StoredTrace> {
    return this.#traces.values();
  }

  /** Traces whose trace-id epoch lies in [startSec, endSec], ascending by epoch. */
  tracesByTraceIdEpoch(startSec: number, endSec: number): StoredTrace[] {
    const from = this.#lowerBound(Math.ceil(startSec));
    const to = this.#upperBound(Math.floor(endSec));
    return this.#byEpoch.slice(from, to);
  }

  #remove(trace: MutableTrace): void {
    this.#traces.delete(trace.traceId);
    this.#segmentCount -= trace.segments.size;
    for (let i = this.#lowerBound(trace.traceIdEpochSec); i < this.#byEpoch.length; i += 1) {
      if (this.#byEpoch[i] === trace) {
        this.#byEpoch.splice(i, 1);
        return;
      }
    }
  }

  /** First index whose epoch is >= epochSec. */
  #lowerBound(epochSec: number): number {
    let lo = 0;
    let hi = this.#byEpoch.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#byEpoch[mid]?.traceIdEpochSec ?? Infinity) < epochSec) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose epoch is > epochSec. */
  #upperBound(epochSec: number): number {
    let lo = 0;
    let hi = this.#byEpoch.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#byEpoch[mid]?.traceIdEpochSec ?? Infinity) <= epochSec) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
