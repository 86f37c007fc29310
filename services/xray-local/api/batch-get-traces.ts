import type { SegmentStore } from '../store/segment-store.ts';
import { traceBoundsSec } from '../store/trace-entities.ts';
import { type ApiOutcome, answer } from './api-outcome.ts';
import { readTraceIds } from './read-request.ts';

export const MAX_TRACE_IDS_PER_BATCH = 5;

export interface Trace {
  Id: string;
  Duration: number;
  LimitExceeded: boolean;
  Segments: { Id: string; Document: string }[];
}

export interface BatchGetTracesResult {
  Traces: Trace[];
  UnprocessedTraceIds: string[];
}

/**
 * POST /Traces. Each Segment's Document is the exact string PutTraceSegments stored (independent
 * subsegments are returned as sent, not folded into their parents as X-Ray does). Unknown ids are
 * listed in UnprocessedTraceIds.
 */
export function batchGetTraces(raw: unknown, deps: { store: SegmentStore }): ApiOutcome<BatchGetTracesResult> {
  const ids = readTraceIds(raw, MAX_TRACE_IDS_PER_BATCH);
  if (!ids.ok) return ids;
  const traces: Trace[] = [];
  const unprocessed: string[] = [];
  for (const id of new Set(ids.body)) {
    const trace = deps.store.get(id);
    if (!trace) {
      unprocessed.push(id);
      continue;
    }
    const segments = [...trace.segments.values()].sort((a, b) => a.parsed.start_time - b.parsed.start_time);
    const bounds = traceBoundsSec(trace);
    traces.push({
      Id: trace.traceId,
      Duration: Math.max(0, bounds.endSec - bounds.startSec),
      LimitExceeded: false,
      Segments: segments.map((s) => ({ Id: s.id, Document: s.document })),
    });
  }
  return answer({ Traces: traces, UnprocessedTraceIds: unprocessed });
}
