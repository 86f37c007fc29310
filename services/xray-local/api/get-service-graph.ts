import type { SegmentStore } from '../store/segment-store.ts';
import { type Service, buildServiceGraph, overlapping } from '../graph/build-service-graph.ts';
import { type ApiOutcome, answer } from './api-outcome.ts';
import { readBody, readTimeRange } from './read-request.ts';

export interface GetServiceGraphResult {
  StartTime: number;
  EndTime: number;
  Services: Service[];
  ContainsOldGroupVersions: boolean;
}

/** POST /ServiceGraph: the graph of every document overlapping [StartTime, EndTime]; groups are ignored. */
export function getServiceGraph(raw: unknown, deps: { store: SegmentStore }): ApiOutcome<GetServiceGraphResult> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const range = readTimeRange(body.body);
  if (!range.ok) return range;
  const { startSec, endSec } = range.body;
  return answer({
    StartTime: startSec,
    EndTime: endSec,
    Services: buildServiceGraph(deps.store.traces(), overlapping(startSec, endSec)),
    ContainsOldGroupVersions: false,
  });
}
