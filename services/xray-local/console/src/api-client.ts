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

export const getServiceGraph = (range: TimeRange, signal?: AbortSignal): Promise<GetServiceGraphResult> =>
  call('/ServiceGraph', { StartTime: range.startSec, EndTime: range.endSec }, signal);

export function getTraceSummaries(
  range: TimeRange,
  filterExpression: string,
  nextToken: string | undefined,
  signal?: AbortSignal,
): Promise<GetTraceSummariesResult> {
  const body: Record<string, unknown> = { StartTime: range.startSec, EndTime: range.endSec, TimeRangeType: 'TraceId' };
  if (filterExpression !== '') body['FilterExpression'] = filterExpression;
  if (nextToken !== undefined) body['NextToken'] = nextToken;
  return call('/TraceSummaries', body, signal);
}

export const batchGetTraces = (traceIds: readonly string[], signal?: AbortSignal): Promise<BatchGetTracesResult> =>
  call('/Traces', { TraceIds: traceIds }, signal);
