import type { BatchGetTracesResult, GetServiceGraphResult, GetTraceSummariesResult } from './api-types.ts';
import type { TimeRange } from './time-range.ts';

/** An X-Ray API error as xray-local answers it (`__type`, `message`). */
export class ApiError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

async function call<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  if (signal) init.signal = signal;
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError('InvalidResponse', `${path} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const error = parsed as { __type?: string; message?: string };
    throw new ApiError(error.__type ?? `HTTP ${response.status}`, error.message ?? text);
  }
  return parsed as T;
}

/** Whether `id` is a Zipkin trace id (Envoy's `x-b3-traceid`): 16 or 32 hex digits, no `1-` prefix. */
export const isZipkinTraceId = (id: string): boolean => /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/i.test(id);

/** The X-Ray ids xray-local stores for a Zipkin trace id (GET /console/zipkin-trace/:id). */
export async function xrayIdsOfZipkinTrace(zipkinTraceId: string, signal?: AbortSignal): Promise<string[]> {
  const init: RequestInit = signal ? { signal } : {};
  const response = await fetch(`/console/zipkin-trace/${encodeURIComponent(zipkinTraceId)}`, init);
  if (!response.ok) return [];
  return ((await response.json()) as { traceIds?: string[] }).traceIds ?? [];
}

export const getServiceGraph = (range: TimeRange, signal?: AbortSignal): Promise<GetServiceGraphResult> =>
  call('/ServiceGraph', { StartTime: range.startSec, EndTime: range.endSec }, signal);

export function getTraceSummaries(
  range: TimeRange,
  filterExpression: string,
  nextToken: string | undefined,
  signal?: AbortSignal,
): Promise<GetTraceSummariesResult> {
  // By event time (when the trace's segments ran), not by the epoch in the trace id: spans sent to /v1/traces
  // keep their W3C trace ids (EXPORT_PROTOCOL=otlp), whose first 8 hex digits are no time. Same traces as
  // `TraceId` for segment documents, whose trace-id epoch is their first span's second.
  const body: Record<string, unknown> = { StartTime: range.startSec, EndTime: range.endSec, TimeRangeType: 'Event' };
  if (filterExpression !== '') body['FilterExpression'] = filterExpression;
  if (nextToken !== undefined) body['NextToken'] = nextToken;
  return call('/TraceSummaries', body, signal);
}

interface RetrievedTraces {
  Traces?: { Id: string; Duration: number; Spans: { Id: string; Document: string }[] }[];
}

/**
 * BatchGetTraces, then Transaction Search for the ids it left unprocessed: spans sent to `/v1/traces` (the
 * OTLP path, EXPORT_PROTOCOL=otlp) are not returned by BatchGetTraces once the destination is CloudWatch
 * Logs, and are read as the CloudWatch console reads them, StartTraceRetrieval + ListRetrievedTraces in
 * X-Ray format (segment documents), so the timeline shows them as it shows PutTraceSegments documents.
 */
export async function batchGetTraces(traceIds: readonly string[], signal?: AbortSignal): Promise<BatchGetTracesResult> {
  const got = await call<BatchGetTracesResult>('/Traces', { TraceIds: traceIds }, signal);
  if (got.UnprocessedTraceIds.length === 0) return got;
  const { RetrievalToken } = await call<{ RetrievalToken: string }>('/StartTraceRetrieval',
    { TraceIds: got.UnprocessedTraceIds, StartTime: 0, EndTime: Math.ceil(Date.now() / 1000) + 86_400 }, signal);
  const retrieved = await call<RetrievedTraces>('/ListRetrievedTraces', { RetrievalToken, TraceFormat: 'XRAY' }, signal);
  const traces = (retrieved.Traces ?? []).map((t) => ({ Id: t.Id, Duration: t.Duration, LimitExceeded: false, Segments: t.Spans }));
  const found = new Set(traces.map((t) => t.Id));
  return { Traces: [...got.Traces, ...traces], UnprocessedTraceIds: got.UnprocessedTraceIds.filter((id) => !found.has(id)) };
}
