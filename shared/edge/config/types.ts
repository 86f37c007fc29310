import { z } from 'zod';

/** Comma-separated list; empty items dropped. */
export const csv = () =>
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * The unit a config field's text is written in, so help and the README show its default as an operator
 * writes it (`5.5s`, `5mb`) instead of the parsed number (`5500`, `5242880`).
 */
export const CONFIG_UNITS = z.registry<{ unit: 'duration' | 'bytes' }>();

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

/** A duration such as `3s`, `250ms`, `2m` or a bare number of milliseconds; parsed to milliseconds. */
export const durationMs = () =>
  z.string().trim().transform((s, ctx) => {
    const m = DURATION.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 3s, 250ms, 2m or milliseconds, got "${s}"` });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS]);
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

export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
export const port = () => int(0, 65535);
export const bool = () => z.stringbool();
