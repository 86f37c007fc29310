import { parseFilter } from '../filter/parse-filter.ts';
import { matchesFilter } from '../filter/match-filter.ts';
import type { SegmentStore, StoredTrace } from '../store/segment-store.ts';
import { traceBoundsSec } from '../store/trace-entities.ts';
import { factsOf } from '../summary/trace-facts.ts';
import { type TraceSummary, summarizeTrace } from '../summary/summarize-trace.ts';
import { type ApiOutcome, answer, invalidRequest } from './api-outcome.ts';
import { decodeCursorToken, encodeCursorToken, type PageCursor, readBody, readOptionalString, readTimeRange } from './read-request.ts';

/** Summaries per page. */
export const SUMMARIES_PAGE_SIZE = 100;

export interface GetTraceSummariesResult {
  TraceSummaries: TraceSummary[];
  ApproximateTime: number;
  TracesProcessedCount: number;
  NextToken?: string;
}

const TIME_RANGE_TYPES = ['TraceId', 'Event', 'Service'] as const;
type TimeRangeType = (typeof TIME_RANGE_TYPES)[number];

function tracesInRange(store: SegmentStore, type: TimeRangeType, startSec: number, endSec: number): StoredTrace[] {
  if (type === 'TraceId') return store.tracesByTraceIdEpoch(startSec, endSec);
  const found: StoredTrace[] = [];
  for (const trace of store.traces()) {
    const bounds = traceBoundsSec(trace);
    if (bounds.startSec <= endSec && bounds.endSec >= startSec) found.push(trace);
  }
  return found;
}

/**
 * POST /TraceSummaries. TimeRangeType `TraceId` (default) selects by the epoch in the trace id; `Event`
 * and `Service` by overlap of the trace's segments with the range. Newest first (then by trace id), in pages
 * of SUMMARIES_PAGE_SIZE; NextToken resumes after the page's last trace (a keyset, encodeCursorToken), so
 * traces stored between calls no longer shift the pages (an offset repeated a page's worth). A listed trace
 * whose earlier segment (a root span, reported last) arrives between calls moves below the cursor and is
 * listed again, with its new start. `Sampling` is ignored.
 */
export function getTraceSummaries(raw: unknown, deps: { store: SegmentStore; nowMs: () => number }): ApiOutcome<GetTraceSummariesResult> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const range = readTimeRange(body.body);
  if (!range.ok) return range;
  const type = readOptionalString(body.body, 'TimeRangeType');
  if (!type.ok) return type;
  const timeRangeType = type.body ?? 'TraceId';
  if (!(TIME_RANGE_TYPES as readonly string[]).includes(timeRangeType)) {
    return invalidRequest(`TimeRangeType must be one of ${TIME_RANGE_TYPES.join(', ')}`);
  }
  const expression = readOptionalString(body.body, 'FilterExpression');
  if (!expression.ok) return expression;
  const filter = parseFilter(expression.body);
  if (!filter.ok) return invalidRequest(`Invalid FilterExpression: ${filter.issues.map((i) => i.message).join('; ')}`);
  const token = readOptionalString(body.body, 'NextToken');
  if (!token.ok) return token;
  const cursor = decodeCursorToken(token.body);
  if (!cursor.ok) return cursor;

  const candidates = tracesInRange(deps.store, timeRangeType as TimeRangeType, range.body.startSec, range.body.endSec);
  const after = cursor.body;
  const matched = candidates.map(factsOf)
    .filter((facts) => (after === undefined || isAfter(facts.startSec, facts.trace.traceId, after)) && matchesFilter(filter.value, facts));
  matched.sort((a, b) => b.startSec - a.startSec || compareIds(a.trace.traceId, b.trace.traceId));
  const page = matched.slice(0, SUMMARIES_PAGE_SIZE);
  const result: GetTraceSummariesResult = {
    TraceSummaries: page.map(summarizeTrace),
    ApproximateTime: deps.nowMs() / 1000,
    TracesProcessedCount: candidates.length,
  };
  const last = page.at(-1);
  if (last !== undefined && matched.length > page.length) result.NextToken = encodeCursorToken({ startSec: last.startSec, traceId: last.trace.traceId });
  return answer(result);
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a trace comes after `cursor` in the listing's order (newest first, then trace id ascending). */
function isAfter(startSec: number, traceId: string, cursor: PageCursor): boolean {
  return startSec < cursor.startSec || (startSec === cursor.startSec && compareIds(traceId, cursor.traceId) > 0);
}
