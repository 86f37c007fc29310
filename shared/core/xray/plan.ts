/**
 * The plan step both translators begin with (shared/core/xray translate.ts for segment documents,
 * shared/core/otlp translate.ts for OTLP spans): check a span's ids, place it in time, resolve its kind
 * from Envoy's `upstream_cluster` (span-kind.ts) and name its trace key. One function, so the two paths
 * refuse and repair the same spans the same way.
 */
import type { Span, SpanKind } from '../zipkin/span.ts';
import type { Issue } from '../result/result.ts';
import { isTraceIdHex, startMicrosOf, traceKeyOf } from './trace-id.ts';
import { resolveKind } from './span-kind.ts';

export const SPAN_HEX = /^[0-9a-f]{16}$/;

/** Which side of a call the span is: SERVER/CONSUMER, CLIENT/PRODUCER, or neither (no kind). */
export type SpanRole = 'server' | 'client' | 'none';

export interface SpanPlan {
  readonly span: Span;
  /** Index of the span in the translator's input. */
  readonly index: number;
  readonly role: SpanRole;
  /** The kind after repair; undefined when the span has none and none could be inferred. */
  readonly kind: SpanKind | undefined;
  /** The kind the span came with (`none` when absent) when it was repaired; else undefined. */
  readonly repairedFrom: string | undefined;
  readonly startMicros: number;
  /** `startMicros + durationMicros`; without a duration the latest annotation, never before the start. */
  readonly endMicros: number;
  /** Low 64 bits of the trace id (trace-id.ts traceKeyOf). */
  readonly traceKey: string;
}

export type PlanOutcome =
  | { readonly ok: true; readonly plan: SpanPlan }
  | { readonly ok: false; readonly reason: 'invalid_id' | 'no_timestamp'; readonly issues: readonly Issue[] };

export interface PlanOptions {
  /**
   * Refuse all-zero trace and span ids too (the OTLP endpoint does: trace.proto says an all-zero id is
   * invalid). The segments path leaves them to X-Ray.
   */
  readonly refuseZeroIds?: boolean;
}

/** Ids, time and kind of `span`, or why it cannot be translated (`spans[index]…` paths). */
export function planSpan(span: Span, index: number, options: PlanOptions = {}): PlanOutcome {
  const zero = options.refuseZeroIds === true;
  const notZero = zero ? ', not all zero' : '';
  const issues: Issue[] = [];
  if (!isTraceIdHex(span.traceId) || (zero && /^0+$/.test(span.traceId))) issues.push({ path: `spans[${index}].traceId`, message: `must be 16 or 32 lowercase hex digits${notZero}` });
  if (!SPAN_HEX.test(span.id) || (zero && span.id === '0000000000000000')) issues.push({ path: `spans[${index}].id`, message: `must be 16 lowercase hex digits${notZero}` });
  if (span.parentId !== undefined && !SPAN_HEX.test(span.parentId)) issues.push({ path: `spans[${index}].parentId`, message: 'must be 16 lowercase hex digits' });
  if (issues.length > 0) return { ok: false, reason: 'invalid_id', issues };

  const startMicros = startMicrosOf(span);
  if (startMicros === undefined) {
    return { ok: false, reason: 'no_timestamp', issues: [{ path: `spans[${index}].timestamp`, message: 'is absent and no annotation has a timestamp: the span cannot be placed in time' }] };
  }
  const duration = span.durationMicros;
  let endMicros = startMicros;
  if (duration !== undefined && Number.isFinite(duration) && duration > 0) endMicros = startMicros + duration;
  else if (duration === undefined) endMicros = Math.max(startMicros, lastAnnotationMicrosOf(span));

  const resolved = resolveKind(span);
  const kind = resolved.kind;
  const role: SpanRole = kind === 'SERVER' || kind === 'CONSUMER' ? 'server' : kind === 'CLIENT' || kind === 'PRODUCER' ? 'client' : 'none';
  return {
    ok: true,
    plan: { span, index, role, kind, repairedFrom: resolved.repaired ? (span.kind ?? 'none') : undefined, startMicros, endMicros, traceKey: traceKeyOf(span.traceId) },
  };
}

/** The latest valid annotation timestamp; -1 when there is none. */
function lastAnnotationMicrosOf(span: Span): number {
  let last = -1;
  for (const a of span.annotations) {
    const t = a.timestampMicros;
    if (t !== undefined && Number.isFinite(t) && t > last) last = t;
  }
  return last;
}
