/**
 * Zipkin timestamps and durations (epoch microseconds, zipkin-api.yaml `Span.timestamp` / `duration`): reading
 * them, repairing a timestamp sent in milliseconds or seconds, and naming one sent in nanoseconds. Pure.
 */
import type { Issue } from '../result/result.ts';
import { MAX_SPAN_MICROS } from './span.ts';
import { describe, report } from './issues.ts';

const INTEGER_TEXT = /^-?\d+$/;
const MICROS_MESSAGE = 'must be a number of microseconds';

/** 2000-01-01T00:00:00Z in epoch microseconds, milliseconds and seconds. */
const Y2000_MICROS = 946_684_800_000_000;
const Y2000_MILLIS = 946_684_800_000;
const Y2000_SECONDS = 946_684_800;
/** 2100-01-01T00:00:00Z in epoch milliseconds and seconds: the top of the repaired ranges. */
const Y2100_MILLIS = 4_102_444_800_000;
const Y2100_SECONDS = 4_102_444_800;

/** 2000-01-01 and 2100-01-01 in epoch nanoseconds: a reading in between is a timestamp sent in the wrong unit. */
const Y2000_NANOS = Y2000_MILLIS * 1e6;
const Y2100_NANOS = Y2100_MILLIS * 1e6;

/**
 * The issue of a timestamp or duration beyond MAX_SPAN_MICROS (`got` shows the value as sent). A reading
 * between 2000 and 2100 as epoch nanoseconds (OpenTelemetry's unit: `time_unix_nano`) says so, as the
 * likely mistake; it is not repaired (nanoseconds past 2^53 are not exact as a JSON number).
 */
export function beyondMicrosMessage(reading: number, got?: string): string {
  const message = `must be at most ${MAX_SPAN_MICROS} microseconds${got === undefined ? '' : `, got ${got}`}`;
  return reading >= Y2000_NANOS && reading < Y2100_NANOS
    ? `${message}: it reads as epoch nanoseconds (Zipkin timestamps are epoch microseconds: divide by 1000)`
    : message;
}

/**
 * By how much an epoch timestamp must be multiplied to be epoch microseconds: 1000 when it reads as epoch
 * milliseconds, 1e6 when it reads as epoch seconds, else 1. Only readings that are before the year 2000 as
 * microseconds, yet between 2000 and 2100 as milliseconds (or seconds), are repaired: a tracer that filled
 * the field with `System.currentTimeMillis()` (openzipkin/zipkin#1151) would otherwise give a 1970 trace.
 * Zipkin itself stores such a span as sent; this repair is meshray's, and is counted
 * (`reason="timestamp_unit_repaired"`). Small test values (e.g. 1000) are left alone.
 */
export function timestampUnitFactorOf(value: unknown): number {
  const reading = typeof value === 'number' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : NaN;
  if (!(reading > 0) || reading >= Y2000_MICROS) return 1;
  if (reading >= Y2000_MILLIS && reading < Y2100_MILLIS) return 1000;
  if (reading >= Y2000_SECONDS && reading < Y2100_SECONDS) return 1_000_000;
  return 1;
}

/**
 * Optional epoch/duration microseconds: a JSON number (scientific notation allowed, rounded to an integer)
 * or a string of digits, multiplied by `factor` (a timestamp unit repair) before rounding. Zero or negative
 * means absent, as `Span.Builder.timestamp(long)` / `duration(long)` coerce a negative value to 0 = absent
 * (openzipkin/zipkin zipkin/src/main/java/zipkin2/Span.java). Non-numbers and values beyond
 * MAX_SPAN_MICROS (2^53 − 2, what the Avro record carries) are refused.
 */
export function readMicros(value: unknown, base: string, field: string, issues: Issue[], factor = 1): number | undefined {
  let micros: number;
  if (typeof value === 'number') micros = value;
  else if (value === undefined || value === null) return undefined;
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) micros = Number(value);
  else {
    report(issues, base, field, `${MICROS_MESSAGE}, got ${describe(value)}`);
    return undefined;
  }
  if (Number.isNaN(micros) || micros === Infinity) {
    report(issues, base, field, `${MICROS_MESSAGE}, got ${describe(value)}`);
    return undefined;
  }
  if (micros <= 0) return undefined;
  // beyond what the record carries as sent: refused, repaired unit or not (a property test found 2^53 − 1
  // passed on as an absent duration when the span's timestamp was in milliseconds)
  if (Math.round(micros) > MAX_SPAN_MICROS) {
    report(issues, base, field, beyondMicrosMessage(micros, describe(value)));
    return undefined;
  }
  micros = Math.round(micros * factor);
  // a duration scaled with its repaired timestamp that no longer fits is implausible: absent, like a negative one
  if (micros > MAX_SPAN_MICROS) return undefined;
  return micros;
}
