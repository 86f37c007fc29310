import type { SegmentStore, StoredTrace } from '../store/segment-store.ts';
import { type Service, buildServiceGraph } from '../graph/build-service-graph.ts';
import { type ApiOutcome, answer } from './api-outcome.ts';
import { readTraceIds } from './read-request.ts';

export const MAX_TRACE_IDS_PER_GRAPH = 5;

export interface GetTraceGraphResult {
  Services: Service[];
}

/** POST /TraceGraph: the service graph of the given traces (all their documents); unknown ids are skipped. */
export function getTraceGraph(raw: unknown, deps: { store: SegmentStore }): ApiOutcome<GetTraceGraphResult> {
  const ids = readTraceIds(raw, MAX_TRACE_IDS_PER_GRAPH);
  if (!ids.ok) return ids;
  const traces = [...new Set(ids.body)].map((id) => deps.store.get(id)).filter((t): t is StoredTrace => t !== undefined);
  return answer({ Services: buildServiceGraph(traces, () => true) });
}
