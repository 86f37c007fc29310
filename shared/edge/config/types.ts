import { z } from 'zod';

/** Comma-separated list; empty items dropped. */
export const csv = () =>
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** A bare number (milliseconds), or parts such as `1h`, `1m30s`, `5.5s`, `250ms`. */
const BARE_MS = /^\d+(?:\.\d+)?$/;
const DURATION_PARTS = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * The unit a config field's text is written in, so help and the README show its default as an operator
 * writes it (`5.5s`, `5mb`) instead of the parsed number (`5500`, `5242880`).
 */
export const CONFIG_UNITS = z.registry<{ unit: 'duration' | 'bytes' }>();

/**
 * Variables an empty value must not turn off (load.ts: an empty variable otherwise counts as unset): a
 * secret that failed to render into `RECEIVER_AUTH_TOKENS=""` would leave the receiver open. Register a
 * field last (after `.describe`), with what to do instead.
 */
export const REFUSED_WHEN_EMPTY = z.registry<{ instead: string }>();

/** Milliseconds as the shortest text `durationMs` reads back to the same value: `2m`, `5.5s`, `250ms`, `0`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Bytes as the shortest text `bytes` reads back to the same value: `5mb`, `128kb`, `1000`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (n > 0 && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

/** Milliseconds of a duration text (see durationMs), or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  if (BARE_MS.test(text)) return Math.round(Number(text));
  if (!DURATION_PARTS.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(DURATION_PART)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/**
 * A duration such as `3s`, `250ms`, `2m`, `1h`, `1m30s` or a bare number of milliseconds; parsed to
 * milliseconds. `min` (ms) refuses shorter values; for a bare number under it the message says that a
 * number without a unit is milliseconds and suggests the same number in seconds (`EPOCH_TTL=60` is 60 ms).
 * `unitBelow` (ms) refuses a bare number under it even when `min` allows the value: it needs a unit to say
 * which was meant (`RECEIVER_REQUEST_TIMEOUT=300`: 300 ms or 300 s?); `250ms` passes. `orZero` lets `0`
 * through (a setting where 0 means none). `note` ends the message of a refused bare number.
 */
export const durationMs = (options: { min?: number; unitBelow?: number; orZero?: boolean; note?: string } = {}) =>
  z.string().trim().transform((s, ctx) => {
    const ms = parseDurationMs(s);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 3s, 250ms, 2m, 1h, 1m30s or milliseconds, got "${s}"` });
      return z.NEVER;
    }
    if (ms === 0 && options.orZero === true) return ms;
    const bare = BARE_MS.test(s);
    const note = options.note === undefined ? '' : `; ${options.note}`;
    const min = options.min;
    if (min !== undefined && ms < min) {
      const hint = bare && ms > 0 ? ` (a number without a unit is milliseconds: did you mean ${s}s?${note})` : '';
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDurationMs(min)}${options.orZero === true ? ' (or 0: none)' : ''}, got "${s}"${hint}` });
      return z.NEVER;
    }
    if (bare && options.unitBelow !== undefined && ms < options.unitBelow) {
      ctx.addIssue({ code: 'custom', message: `"${s}" needs a unit: a number without one is milliseconds; write ${s}ms if that is meant, or ${s}s${note}` });
      return z.NEVER;
    }
    return ms;
  }).register(CONFIG_UNITS, { unit: 'duration' });

/** A byte size such as `5mb`, `512kb` or a bare number of bytes. */
export const bytes = () =>
  z.string().trim().toLowerCase().transform((s, ctx) => {
    const m = /^(\d+)(b|kb|mb|gb)?$/.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected a size like 5mb, 512kb or bytes, got "${s}"` });
      return z.NEVER;
    }
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b') as 'b'];
    return Number(m[1]) * unit;
  }).register(CONFIG_UNITS, { unit: 'bytes' });

/** A whole number in [min, max]; a value that is no number at all says so (zod's own line read "expected number, received NaN"). */
export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER, what = 'a whole number') => {
  // zod's own words ("Too big: expected number to be <=65535") named neither the range nor what is wanted (newcomer trial).
  const unbounded = max === Number.MAX_SAFE_INTEGER;
  const range = unbounded ? `must be ${what} of at least ${min}` : `must be ${what} from ${min} to ${max}`;
  return z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? `expected ${what}` : undefined) })
    .min(min, { error: range })
    .max(max, { error: unbounded ? `must be ${what} of at most ${max}` : range, abort: true })
    .int({ error: `expected ${what}` });
};
/** A TCP port; 0 asks the system for a free one. */
export const port = () => int(0, 65535, 'a TCP port number');
export const bool = () => z.stringbool();
