/**
 * One model span to build test cases from, on a fixed clock, for the unit tests of shared/core/xray and
 * shared/core/otlp alike: a productpage SERVER span that started 10 s before NOW_MS.
 */
import type { Span } from '../../shared/core/zipkin/span.ts';

/** 2024-03-01T12:00:00Z: the fixed clock of these tests. */
export const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);
/** A span start 10 s before NOW_MS. */
export const START_MICROS = (NOW_MS - 10_000) * 1000;

/** Overrides may set an optional field to undefined to drop it. */
export type SpanOverrides = { -readonly [K in keyof Span]?: Span[K] | undefined };

export function span(overrides: SpanOverrides = {}): Span {
  const out: Record<string, unknown> = {
    traceId: '65e1c3f0a1b2c3d4e5f60718293a4b5c',
    id: '1111111111111111',
    kind: 'SERVER',
    name: 'get /',
    timestampMicros: START_MICROS,
    durationMicros: 1500,
    localEndpoint: { serviceName: 'productpage.default', ipv4: '10.0.0.12', port: 0 },
    annotations: [],
    tags: {},
    ...overrides,
  };
  for (const [key, value] of Object.entries(out)) if (value === undefined) delete out[key];
  return out as unknown as Span;
}

/**
 * A Zipkin v1 JSON span with client and server annotations on two endpoints (cs/sr/ss/cr): Zipkin's V1
 * reader makes it two model spans, a CLIENT (frontend) and a shared SERVER (backend).
 */
export function v1ClientAndServerSpan(id: string): Record<string, unknown> {
  const frontend = { serviceName: 'frontend', ipv4: '127.0.0.1' };
  const backend = { serviceName: 'backend', ipv4: '192.168.99.101' };
  return {
    traceId: '7180c278b62e8f6a216a2aea45d08fc9', id, name: 'get', timestamp: 100, duration: 50,
    annotations: [
      { timestamp: 100, value: 'cs', endpoint: frontend }, { timestamp: 110, value: 'sr', endpoint: backend },
      { timestamp: 140, value: 'ss', endpoint: backend }, { timestamp: 150, value: 'cr', endpoint: frontend },
    ],
  };
}
