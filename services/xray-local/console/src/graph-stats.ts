import type { HistogramEntry, SummaryStatistics } from './api-types.ts';

/** How the map colours a node or edge: by the share of requests that failed (faults + errors). */
export type Health = 'ok' | 'warn' | 'bad' | 'idle';

/** Failure share at or above which a node turns amber, and red. */
export const WARN_FAILURE_RATE = 0.01;
export const BAD_FAILURE_RATE = 0.05;

export interface NodeStats {
  readonly total: number;
  readonly ok: number;
  /** Client errors (4xx) other than throttles. */
  readonly errors: number;
  readonly throttles: number;
  readonly faults: number;
  /** Shares of `total`, 0..1 (0 when there were no requests). */
  readonly errorRate: number;
  readonly throttleRate: number;
  readonly faultRate: number;
  /** Undefined when no completed request was timed. */
  readonly avgMs: number | undefined;
  readonly p95Ms: number | undefined;
  readonly health: Health;
}

/** The smallest histogram value with at least `p` of the timed requests at or below it (nearest rank). */
export function percentileSec(histogram: readonly HistogramEntry[], p: number): number | undefined {
  const sorted = [...histogram].filter((h) => h.Count > 0).sort((a, b) => a.Value - b.Value);
  const count = sorted.reduce((n, h) => n + h.Count, 0);
  if (count === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * count));
  let seen = 0;
  for (const entry of sorted) {
    seen += entry.Count;
    if (seen >= rank) return entry.Value;
  }
  return sorted[sorted.length - 1]?.Value;
}

export function healthOf(failureRate: number, total: number): Health {
  if (total === 0) return 'idle';
  if (failureRate >= BAD_FAILURE_RATE) return 'bad';
  if (failureRate >= WARN_FAILURE_RATE) return 'warn';
  return 'ok';
}

/** Rates, mean and p95 latency from a GetServiceGraph node or edge. */
export function statsOf(summary: SummaryStatistics | undefined, histogram: readonly HistogramEntry[] | undefined): NodeStats {
  const total = summary?.TotalCount ?? 0;
  const faults = summary?.FaultStatistics.TotalCount ?? 0;
  const throttles = summary?.ErrorStatistics.ThrottleCount ?? 0;
  const errors = summary?.ErrorStatistics.OtherCount ?? 0;
  const timed = (histogram ?? []).reduce((n, h) => n + h.Count, 0);
  const share = (n: number): number => (total > 0 ? n / total : 0);
  const p95 = percentileSec(histogram ?? [], 0.95);
  return {
    total,
    ok: summary?.OkCount ?? 0,
    errors,
    throttles,
    faults,
    errorRate: share(errors),
    throttleRate: share(throttles),
    faultRate: share(faults),
    avgMs: timed > 0 ? ((summary?.TotalResponseTime ?? 0) / timed) * 1000 : undefined,
    p95Ms: p95 === undefined ? undefined : p95 * 1000,
    health: healthOf(share(faults + errors + throttles), total),
  };
}

/**
 * A node no segment stands for: a callee known only from its callers' remote subsegments (type `remote`,
 * services/xray-local/graph/build-service-graph.ts). `AWS::…` types are left alone: a traced service's
 * origin (AWS::EKS::Container) looks the same as an AWS resource node.
 */
export function isRemoteNode(service: { readonly Type: string }): boolean {
  return service.Type === 'remote';
}

/** The type line of a node: remote callees say they were not traced. */
export function nodeTypeLabel(service: { readonly Type: string }): string {
  return service.Type === 'remote' ? 'remote · not traced' : service.Type;
}
