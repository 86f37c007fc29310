import type { TimeRange } from './time-range.ts';

/** What every view gets: the route parameters, the resolved time range, and a signal aborted on navigation. */
export interface ViewContext {
  readonly params: URLSearchParams;
  readonly range: TimeRange;
  readonly signal: AbortSignal;
  readonly nowSec: number;
}
