/** Zipkin trace id → X-Ray trace id (`1-<8 hex epoch>-<24 hex>`), under the configured epoch policy. */
import type { EpochPolicy } from './config.ts';
import type { Span } from '../zipkin/span.ts';
import { traceIdLow64 } from '../zipkin/trace-id.ts';

const TRACE_HEX = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;

/** True for a Zipkin trace id the translator takes: 16 or 32 lowercase hex digits. */
export function isTraceIdHex(zipkinTraceId: string): boolean {
  return TRACE_HEX.test(zipkinTraceId);
}

const isTime = (t: number | undefined): t is number => t !== undefined && Number.isFinite(t) && t >= 0;

/**
 * A span's start as the translator places it (and dates a rewritten epoch): its timestamp, else its
 * earliest annotation; undefined when it has neither.
 */
export function startMicrosOf(span: Span): number | undefined {
  if (isTime(span.timestampMicros)) return span.timestampMicros;
  let min: number | undefined;
  for (const a of span.annotations) if (isTime(a.timestampMicros) && (min === undefined || a.timestampMicros < min)) min = a.timestampMicros;
  return min;
}

export interface EpochWindow {
  readonly policy: EpochPolicy;
  readonly nowMs: number;
  readonly maxAgeMs: number;
  readonly maxAheadMs: number;
}

/** The low 64 bits of a Zipkin trace id: the key under which 64- and 128-bit ids of one trace agree. */
export function traceKeyOf(zipkinTraceId: string): string {
  return traceIdLow64(zipkinTraceId);
}

/** Zero-pads a 64-bit (16 hex) Zipkin trace id to 128 bits (32 hex). */
export function pad128(zipkinTraceId: string): string {
  return zipkinTraceId.length >= 32 ? zipkinTraceId : zipkinTraceId.padStart(32, '0');
}

/** True when 8 hex digits read as an epoch second inside [now - maxAge, now + maxAhead]. */
export function isEpochInWindow(epochHex: string, window: EpochWindow): boolean {
  const epochMs = Number.parseInt(epochHex, 16) * 1000;
  return epochMs >= window.nowMs - window.maxAgeMs && epochMs <= window.nowMs + window.maxAheadMs;
}

/** 8 hex digits of an epoch second taken from epoch microseconds (clamped to 32 bits). */
export function epochHexOf(timestampMicros: number): string {
  const seconds = Math.min(Math.max(Math.floor(timestampMicros / 1e6), 0), 0xffffffff);
  return seconds.toString(16).padStart(8, '0');
}

export interface XrayTraceIdCandidate {
  readonly xrayTraceId: string;
  readonly rewritten: boolean;
}

/**
 * The X-Ray trace id this span would give its trace if it were the first span seen: the padded 128-bit id
 * split 8/24, with the first 8 hex digits replaced by the span's start second when the policy says so.
 */
export function proposeXrayTraceId(zipkinTraceId: string, startMicros: number, window: EpochWindow): XrayTraceIdCandidate {
  const padded = pad128(zipkinTraceId);
  const epochHex = padded.slice(0, 8);
  const rest = padded.slice(8);
  const rewrite =
    window.policy === 'rewrite' || (window.policy === 'auto' && !isEpochInWindow(epochHex, window));
  const finalEpoch = rewrite ? epochHexOf(startMicros) : epochHex;
  return { xrayTraceId: `1-${finalEpoch}-${rest}`, rewritten: rewrite && finalEpoch !== epochHex };
}
