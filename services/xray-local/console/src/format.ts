/** Display formatting shared by the views. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export const formatSec = (sec: number | undefined): string => formatMs(sec === undefined ? undefined : sec * 1000);

export function formatPercent(share: number): string {
  if (share === 0) return '0%';
  const pct = share * 100;
  return pct < 0.1 ? '<0.1%' : pct < 10 ? `${pct.toFixed(1)}%` : `${pct.toFixed(0)}%`;
}

export function formatCount(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** Local wall time with milliseconds, e.g. `2024-05-01 12:03:04.123`. */
export function formatTime(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "12s ago", "5m ago", "3h ago", "2d ago", else the date. */
export function formatAge(epochSec: number, nowSec: number): string {
  const age = Math.max(0, nowSec - epochSec);
  if (age < 60) return `${Math.floor(age)}s ago`;
  if (age < 3600) return `${Math.floor(age / 60)}m ago`;
  if (age < 86_400) return `${Math.floor(age / 3600)}h ago`;
  if (age < 30 * 86_400) return `${Math.floor(age / 86_400)}d ago`;
  return formatTime(epochSec).slice(0, 10);
}

/** `1 segment`, `3 segments`: a count with its noun, singular for one (regular English plurals only). */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${n === 1 ? noun : `${noun}s`}`;
}
