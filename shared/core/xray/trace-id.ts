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

/**
 * X-Ray's own limits on time, which no translated document may break:
 * - a trace id whose 8-hex epoch is more than 30 days old is refused ("AWS has a 30 day limit":
 *   open-telemetry/opentelemetry-collector-contrib exporter/awsxrayexporter, convertToAmazonTraceID, which
 *   keeps a 28-day margin and a 5-minute future skew; X-Ray keeps trace data 30 days, AWS General
 *   Reference "AWS X-Ray endpoints and quotas");
 * - so is a segment whose start_time lies beyond that retention.
 * meshray's own window (EPOCH_MAX_AGE 28 d, EPOCH_MAX_AHEAD 5 min) sits inside it; xray-local enforces these.
 */
export const XRAY_MAX_TRACE_AGE_MS = 30 * 24 * 60 * 60 * 1000;
export const XRAY_MAX_TRACE_AHEAD_MS = 5 * 60 * 1000;

/** True when an X-Ray trace id's epoch (its 8 hex digits) is one X-Ray takes at `nowMs`. */
export function isXrayEpochAccepted(epochHex: string, nowMs: number): boolean {
  const epochMs = Number.parseInt(epochHex, 16) * 1000;
  return epochMs >= nowMs - XRAY_MAX_TRACE_AGE_MS && epochMs <= nowMs + XRAY_MAX_TRACE_AHEAD_MS;
}

const DAY_SECONDS = 86_400;
const MINUTE_SECONDS = 60;

/**
 * The epoch second a trace id gets for a span starting at `timestampMicros`: that second when it lies inside
 * the window; else a stable second inside it, so that translating the same spans again (a replay, a
 * redelivery) gives the same id and X-Ray overwrites instead of duplicating: a start before the window is
 * dated at the first UTC midnight inside it (the same all day), a start after it at the current UTC minute.
 */
export function epochSecondInWindow(timestampMicros: number, window: EpochWindow): number {
  const lowest = Math.ceil((window.nowMs - window.maxAgeMs) / 1000);
  const highest = Math.floor((window.nowMs + window.maxAheadMs) / 1000);
  const start = Math.floor(timestampMicros / 1e6);
  if (start >= lowest && start <= highest) return start;
  const nowSeconds = Math.floor(window.nowMs / 1000);
  if (start > highest) return Math.min(Math.floor(nowSeconds / MINUTE_SECONDS) * MINUTE_SECONDS, highest);
  const midnight = Math.ceil(lowest / DAY_SECONDS) * DAY_SECONDS;
  return midnight <= highest ? midnight : lowest;
}

/**
 * How far a kept epoch may lie before the span's start (`auto`): a trace id from an X-Ray-aware tracer (an
 * AWS X-Ray SDK, OpenTelemetry's AWS X-Ray id generator) is dated when its trace started, so its epoch is at
 * most one trace's length before any span of it. One hour covers every synchronous request; a random
 * 128-bit id passes with odds of 3,900 s in 2^32 (1 in 1.1 million), where the 28-day window alone let
 * 1 in 1,775 random ids keep digits that misdate their trace by up to 28 days.
 */
export const EPOCH_MAX_TRACE_LEAD_MS = 60 * 60 * 1000;

/**
 * True when 8 hex digits can be the start of the trace of a span starting at `startMicros`: from
 * EPOCH_MAX_TRACE_LEAD_MS before it to `maxAheadMs` (clock skew between hosts) after it.
 */
export function isEpochAtTraceStart(epochHex: string, startMicros: number, maxAheadMs: number): boolean {
  const epochMs = Number.parseInt(epochHex, 16) * 1000;
  const startMs = startMicros / 1000;
  return epochMs >= startMs - EPOCH_MAX_TRACE_LEAD_MS && epochMs <= startMs + maxAheadMs;
}

export interface XrayTraceIdCandidate {
  readonly xrayTraceId: string;
  readonly rewritten: boolean;
}

/**
 * The X-Ray trace id this span would give its trace if it were the first span seen: the padded 128-bit id
 * split 8/24. With `auto` (when the Zipkin id's first 8 hex digits are not an epoch second inside the window,
 * or not one at which this span's trace can have started: isEpochAtTraceStart) and with `rewrite`, the
 * epoch becomes the span's start second, moved into the window when the span started
 * outside it (a replayed old span, a skewed clock, epoch milliseconds): every document then carries an id
 * X-Ray takes. With `preserve` the Zipkin digits are kept, and `undefined` is returned when they are not
 * inside the window: the caller refuses the span (X-Ray would).
 */
export function proposeXrayTraceId(zipkinTraceId: string, startMicros: number, window: EpochWindow): XrayTraceIdCandidate | undefined {
  const padded = pad128(zipkinTraceId);
  const epochHex = padded.slice(0, 8);
  const rest = padded.slice(8);
  const inWindow = isEpochInWindow(epochHex, window);
  if (window.policy === 'preserve') return inWindow ? { xrayTraceId: `1-${epochHex}-${rest}`, rewritten: false } : undefined;
  const rewrite = window.policy === 'rewrite' || !inWindow || !isEpochAtTraceStart(epochHex, startMicros, window.maxAheadMs);
  const finalEpoch = rewrite ? epochSecondInWindow(startMicros, window).toString(16).padStart(8, '0') : epochHex;
  return { xrayTraceId: `1-${finalEpoch}-${rest}`, rewritten: rewrite && finalEpoch !== epochHex };
}
