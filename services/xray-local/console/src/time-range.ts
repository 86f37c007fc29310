/** The time window every view queries: a preset ending now, or a fixed custom window (epoch seconds). */
export interface TimeRange {
  readonly startSec: number;
  readonly endSec: number;
}

export const RANGE_PRESETS: ReadonlyArray<{ readonly key: string; readonly label: string; readonly seconds: number }> = [
  { key: '5m', label: 'Last 5 minutes', seconds: 5 * 60 },
  { key: '15m', label: 'Last 15 minutes', seconds: 15 * 60 },
  { key: '1h', label: 'Last hour', seconds: 3600 },
  { key: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { key: '1d', label: 'Last day', seconds: 86_400 },
  { key: '7d', label: 'Last 7 days', seconds: 7 * 86_400 },
  { key: '30d', label: 'Last 30 days', seconds: 30 * 86_400 },
  // Replayed captures carry old trace-id epochs (e.g. 2019): "all" reaches back to 2000.
  { key: 'all', label: 'All stored traces', seconds: Number.POSITIVE_INFINITY },
];

export const DEFAULT_RANGE_KEY = '1h';
const ALL_START_SEC = 946_684_800; // 2000-01-01T00:00:00Z

/** Resolves a preset key (or `custom` with explicit bounds) against the current time. */
export function resolveRange(key: string, nowSec: number, custom?: { startSec?: number; endSec?: number }): TimeRange {
  if (key === 'custom' && custom?.startSec !== undefined && custom.endSec !== undefined && custom.endSec >= custom.startSec) {
    return { startSec: custom.startSec, endSec: custom.endSec };
  }
  const preset = RANGE_PRESETS.find((p) => p.key === key) ?? RANGE_PRESETS.find((p) => p.key === DEFAULT_RANGE_KEY);
  const seconds = preset?.seconds ?? 3600;
  // A minute of slack past now: documents stamped by a slightly fast clock still show.
  const endSec = Math.ceil(nowSec) + 60;
  return { startSec: Number.isFinite(seconds) ? Math.floor(nowSec - seconds) : ALL_START_SEC, endSec };
}
