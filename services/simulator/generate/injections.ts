/** Injected trouble: application errors, Envoy failure flags and extra latency. Pure parsing and tables. */
import type { Result } from '../../../shared/core/result/result.ts';
import { fail, ok } from '../../../shared/core/result/result.ts';
import { SERVICE_NAMES, type ServiceName } from './topology.ts';

/**
 * Envoy failure response flags a fault can carry, with the status Envoy puts on the caller's CLIENT span.
 * UH/UF/URX/UO: the router answers with a local 503 reply; UT: a local 504; DC: the caller went away
 * before any response, so no status (`0`). No SERVER span is emitted: the callee never saw the request
 * (for DC it may have, but its span is dropped to keep one rule).
 */
export const FAULT_STATUS = Object.freeze({ UH: 503, UF: 503, URX: 503, UO: 503, UT: 504, DC: 0 } as const);
export type FaultFlag = keyof typeof FAULT_STATUS;
export const FAULT_FLAGS = Object.keys(FAULT_STATUS) as FaultFlag[];
export const DEFAULT_FAULT_FLAGS: readonly FaultFlag[] = ['UF', 'URX', 'UH'];
export const isFaultFlag = (s: string): s is FaultFlag => Object.hasOwn(FAULT_STATUS, s);

/** Extra latency on one service's own work: `multiplier` × then `+ extraMs`. */
export interface LatencyRule {
  readonly service: ServiceName;
  readonly multiplier: number;
  readonly extraMs: number;
}

/**
 * Parses `ratings=x3`, `reviews=+50ms`, `details=*2`, `productpage=+0.5s`, comma-separated
 * (`ratings=x3,details=+20ms`). A service may appear twice (`ratings=x2,ratings=+5ms`).
 */
export function parseLatencyRules(spec: string): Result<LatencyRule[]> {
  const rules: LatencyRule[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const m = /^([a-z-]+)=(?:([x*])(\d+(?:\.\d+)?)|\+(\d+(?:\.\d+)?)(ms|s)?)$/.exec(raw);
    if (m === null) return fail([{ path: raw, message: 'expected SERVICE=xN (multiplier) or SERVICE=+Nms (extra latency), e.g. ratings=x3 or reviews=+50ms' }]);
    const service = m[1] as ServiceName;
    if (!SERVICE_NAMES.includes(service)) return fail([{ path: raw, message: `unknown service "${m[1]}", expected one of ${SERVICE_NAMES.join(', ')}` }]);
    if (m[2] !== undefined) rules.push({ service, multiplier: Number(m[3]), extraMs: 0 });
    else rules.push({ service, multiplier: 1, extraMs: Number(m[4]) * (m[5] === 's' ? 1000 : 1) });
  }
  return ok(rules);
}

/** Applies the rules for `service` to a work time in microseconds. */
export function applyLatency(rules: readonly LatencyRule[], service: ServiceName, workMicros: number): number {
  let out = workMicros;
  for (const r of rules) if (r.service === service) out = out * r.multiplier + r.extraMs * 1000;
  return out;
}
