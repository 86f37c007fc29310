/**
 * How the Zipkin decoders word their issues: each at a path (`spans[3].traceId`), with the bad value shown
 * short. Pure.
 */
import type { Issue } from '../result/result.ts';

const MAX_DESCRIBED_CHARS = 48;

/** Pushes an issue at `base.field` (or `base` when field is empty). */
export function report(issues: Issue[], base: string, field: string, message: string): void {
  issues.push({ path: field === '' ? base : `${base}.${field}`, message });
}

/** Pushes the issue of a required field that is absent: `is required` (or `message`), code `missing`. */
export function reportMissing(issues: Issue[], base: string, field: string, message = 'is required'): void {
  issues.push({ path: field === '' ? base : `${base}.${field}`, message, code: 'missing' });
}

/** A short rendering of a bad value for issue messages: strings quoted (and cut), containers named. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_DESCRIBED_CHARS ? `${value.slice(0, MAX_DESCRIBED_CHARS)}…` : value);
  }
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
