import { DEFAULT_RANGE_KEY, type TimeRange, resolveRange } from './time-range.ts';

/** Where the console is: the view and its parameters live in the URL hash, so reload and back work. */
export type View = 'map' | 'traces' | 'trace';

export interface Route {
  readonly view: View;
  readonly traceId: string | undefined;
  readonly params: URLSearchParams;
}

/** Parses `#/map?…`, `#/traces?…` or `#/trace/<id>?…` (anything else is the map). */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', query = ''] = text.split('?', 2);
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'traces') return { view: 'traces', traceId: undefined, params };
  if (parts[0] === 'trace' && parts[1]) return { view: 'trace', traceId: decodeURIComponent(parts[1]), params };
  return { view: 'map', traceId: undefined, params };
}

export function routeHref(view: View, params: URLSearchParams, traceId?: string): string {
  const query = params.toString();
  const path = view === 'trace' && traceId !== undefined ? `trace/${encodeURIComponent(traceId)}` : view;
  return `#/${path}${query ? `?${query}` : ''}`;
}

/** The time-range parameters alone (carried from view to view). */
export function rangeParams(params: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const key of ['range', 'from', 'to']) {
    const value = params.get(key);
    if (value !== null) kept.set(key, value);
  }
  return kept;
}

export function rangeOf(params: URLSearchParams, nowSec: number): TimeRange {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  const custom: { startSec?: number; endSec?: number } = {};
  if (params.get('from') !== null && Number.isFinite(from)) custom.startSec = from;
  if (params.get('to') !== null && Number.isFinite(to)) custom.endSec = to;
  return resolveRange(params.get('range') ?? DEFAULT_RANGE_KEY, nowSec, custom);
}
