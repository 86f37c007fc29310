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
  /** Evicted: still in `#byEpoch` until it is compacted. */
  evicted?: boolean;
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
  /** Insertion order = first arrival. */
  readonly #traces = new Map<string, MutableTrace>();
  /**
   * First arrival order, the eviction order, from `#arrivalHead` on: a queue, because a full store evicts
   * on nearly every put and a Map's `values().next()` walks every entry deleted at its start (bench/.scratch:
   * 6.2 µs per put at the default 200,000 documents, 2.2 at 20,000, before this and the lazy `#byEpoch`).
   */
  #arrival: MutableTrace[] = [];
  #arrivalHead = 0;
  /** Sorted by traceIdEpochSec (stable for equal epochs); evicted traces stay (flagged) until compacted. */
  #byEpoch: MutableTrace[] = [];
  #evictedInByEpoch = 0;
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
      this.#arrival.push(trace);
      const at = this.#upperBound(trace.traceIdEpochSec);
      if (at === this.#byEpoch.length) this.#byEpoch.push(trace);
      else this.#byEpoch.splice(at, 0, trace);
    }
    const overwritten = trace.segments.has(parsed.id);
    trace.segments.set(parsed.id, new LazySegment(parsed.id, parsed.trace_id, document, receivedAtMs));
    if (!overwritten) this.#segmentCount += 1;
    let evictedTraces = 0;
    let evictedSegments = 0;
    while (this.#segmentCount > this.#maxSegments) {
      const oldest = this.#arrival[this.#arrivalHead];
      if (oldest === undefined) break;
      this.#arrivalHead += 1;
      evictedSegments += oldest.segments.size;
      evictedTraces += 1;
      this.#remove(oldest);
    }
    return { overwritten, evictedTraces, evictedSegments };
  }

  get(traceId: string): StoredTrace | undefined {
    return this.#traces.get(traceId);
  }

  /**
   * The stored traces whose X-Ray id ends with `tail` (lowercase hex: an X-Ray id keeps the last 24 digits of a
   * Zipkin or W3C trace id, shared/core/xray/trace-id.ts proposeXrayTraceId), oldest arrival first. A scan:
   * for a person's lookup, not for a hot path.
   */
  traceIdsEndingWith(tail: string): string[] {
    const out: string[] = [];
    for (const traceId of this.#traces.keys()) if (traceId.endsWith(tail)) out.push(traceId);
    return out;
  }

  /** Every trace, oldest arrival first. */
  traces(): IterableIterator<StoredTrace> {
    return this.#traces.values();
  }

  /** Traces whose trace-id epoch lies in [startSec, endSec], ascending by epoch. */
  tracesByTraceIdEpoch(startSec: number, endSec: number): StoredTrace[] {
    const from = this.#lowerBound(Math.ceil(startSec));
    const to = this.#upperBound(Math.floor(endSec));
    const traces = this.#byEpoch.slice(from, to);
    return this.#evictedInByEpoch === 0 ? traces : traces.filter((t) => t.evicted !== true);
  }

  #remove(trace: MutableTrace): void {
    this.#traces.delete(trace.traceId);
    this.#segmentCount -= trace.segments.size;
    trace.evicted = true;
    this.#evictedInByEpoch += 1;
    if (this.#evictedInByEpoch > 1024 && this.#evictedInByEpoch * 2 > this.#byEpoch.length) {
      this.#byEpoch = this.#byEpoch.filter((t) => t.evicted !== true);
      this.#evictedInByEpoch = 0;
    }
    if (this.#arrivalHead > 1024 && this.#arrivalHead * 2 > this.#arrival.length) {
      this.#arrival = this.#arrival.slice(this.#arrivalHead);
      this.#arrivalHead = 0;
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
