/**
 * What the sampling policies look at in one assembled trace: its failure flags (the same rule as the X-Ray
 * document's: shared/core/xray/flags.ts), its duration, and per span the service, HTTP status and tags.
 */
import type { Span } from '../zipkin/span.ts';
import { flagsOf } from '../xray/flags.ts';
import { statusOf } from '../xray/http.ts';

export interface SpanFacts {
  /** The local endpoint's service name ('' when none). */
  readonly service: string;
  readonly status: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface TraceFacts {
  readonly fault: boolean;
  readonly error: boolean;
  readonly throttle: boolean;
  /** From the earliest span start to the latest span end (0 when no span is timed). */
  readonly durationMs: number;
  readonly spans: readonly SpanFacts[];
}

/** The facts of one trace's spans (any order): flags OR-ed over its spans, duration in ms from their micros, one SpanFacts per span. */
export function traceFactsOf(spans: readonly Span[]): TraceFacts {
  let fault = false;
  let error = false;
  let throttle = false;
  let startMicros = Infinity;
  let endMicros = -Infinity;
  const facts: SpanFacts[] = [];
  for (const span of spans) {
    const status = statusOf(span.tags);
    const flags = flagsOf(span.tags, status);
    fault ||= flags.fault;
    error ||= flags.error;
    throttle ||= flags.throttle;
    if (span.timestampMicros !== undefined) {
      startMicros = Math.min(startMicros, span.timestampMicros);
      endMicros = Math.max(endMicros, span.timestampMicros + (span.durationMicros ?? 0));
    }
    facts.push({ service: span.localEndpoint?.serviceName ?? '', status, tags: span.tags });
  }
  const durationMs = endMicros >= startMicros ? (endMicros - startMicros) / 1000 : 0;
  return { fault, error, throttle, durationMs, spans: facts };
}

/**
 * At most how many unpacked X-Ray documents `spans` become (shared/core/xray translate.ts): one per span, and
 * a second for a root span (a root CLIENT span gets a segment in front of its subsegment, a root waypoint
 * span one for its caller). Packing makes fewer. The export budget charges a trace this much.
 */
export function documentsAtMostOf(spans: readonly Span[]): number {
  let documents = 0;
  for (const span of spans) documents += span.parentId === undefined ? 2 : 1;
  return documents;
}
