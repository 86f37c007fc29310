/**
 * What xray-local keeps of the spans it received on /v1/traces: each span as the OTLP/JSON document
 * `ListRetrievedTraces` returns (the span with its `resource` and `scope`), by X-Ray trace id, and which
 * segment ids in the SegmentStore came from spans (BatchGetTraces does not return those: with Transaction
 * Search, spans live in the `aws/spans` log group, not in X-Ray's segment store). Also the account's
 * trace segment destination and the trace retrievals started. Bounded: past `maxSpans` spans the traces
 * seen first are dropped whole.
 */
import { RecencyMap } from '../../../shared/core/collections/recency-map.ts';

export interface StoredSpan {
  readonly spanId: string;
  /** OTLP/JSON of the span with its resource and scope. */
  readonly document: string;
  readonly startSec: number;
  readonly endSec: number;
}

export interface SpanTrace {
  readonly xrayTraceId: string;
  readonly spans: StoredSpan[];
  /** Ids of the segment documents made from these spans. */
  readonly segmentIds: Set<string>;
}

export type TraceSegmentDestination = 'XRay' | 'CloudWatchLogs';

export interface TraceRetrieval {
  readonly token: string;
  readonly traceIds: readonly string[];
  readonly startSec: number;
  readonly endSec: number;
}

export class SpanStore {
  readonly #maxSpans: number;
  /** Oldest first (a RecencyMap: evicting from a plain Map's start walks the holes earlier evictions left). */
  readonly #traces = new RecencyMap<SpanTrace>();
  readonly #retrievals = new Map<string, TraceRetrieval>();
  #spanCount = 0;
  #retrievalCount = 0;
  destination: TraceSegmentDestination;

  constructor(options: { maxSpans: number; destination?: TraceSegmentDestination }) {
    if (!(options.maxSpans >= 1)) throw new Error('SpanStore: maxSpans must be >= 1');
    this.#maxSpans = options.maxSpans;
    this.destination = options.destination ?? 'XRay';
  }

  get spanCount(): number {
    return this.#spanCount;
  }

  add(xrayTraceId: string, span: StoredSpan, segmentIds: readonly string[]): void {
    let trace = this.#traces.get(xrayTraceId);
    if (trace === undefined) {
      trace = { xrayTraceId, spans: [], segmentIds: new Set() };
      this.#traces.set(xrayTraceId, trace);
    }
    const existing = trace.spans.findIndex((s) => s.spanId === span.spanId);
    if (existing >= 0) trace.spans[existing] = span;
    else {
      trace.spans.push(span);
      this.#spanCount += 1;
    }
    for (const id of segmentIds) trace.segmentIds.add(id);
    while (this.#spanCount > this.#maxSpans) {
      const oldest = this.#traces.shift();
      if (oldest === undefined) break;
      this.#spanCount -= oldest.value.spans.length;
    }
  }

  get(xrayTraceId: string): SpanTrace | undefined {
    return this.#traces.get(xrayTraceId);
  }

  /** True when the segment document `segmentId` of the trace was made from an OTLP span. */
  isFromSpan(xrayTraceId: string, segmentId: string): boolean {
    return this.#traces.get(xrayTraceId)?.segmentIds.has(segmentId) === true;
  }

  startRetrieval(traceIds: readonly string[], startSec: number, endSec: number): TraceRetrieval {
    this.#retrievalCount += 1;
    const token = `xray-local-retrieval-${this.#retrievalCount.toString().padStart(8, '0')}`;
    const retrieval = { token, traceIds: [...new Set(traceIds)], startSec, endSec };
    this.#retrievals.set(token, retrieval);
    return retrieval;
  }

  retrieval(token: string): TraceRetrieval | undefined {
    return this.#retrievals.get(token);
  }

  cancelRetrieval(token: string): boolean {
    return this.#retrievals.delete(token);
  }
}
