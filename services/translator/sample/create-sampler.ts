/** Builds the TraceSampler from configuration (SAMPLING=on): the shared budget on Redis, else a local one. */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { parseKeepExpression } from '../../../shared/core/sampling/index.ts';
import { LocalExportBudget, RedisExportBudget } from './export-budget.ts';
import { createSamplingMetrics } from './sampling-metrics.ts';
import { TraceSampler } from './trace-sampler.ts';

export interface SamplingSettings {
  readonly slowMs: number;
  readonly keep: string;
  /** Documents per second, cluster-wide (XRAY_SEGMENTS_PER_SECOND, or OTLP_SPANS_PER_SECOND for OTLP). */
  readonly limitPerSecond: number;
  /** Names the budget's Redis keys: one budget per export protocol. */
  readonly protocol: 'segments' | 'otlp';
  readonly decisionTtlMs: number;
  readonly maxDecisions: number;
  /** Redis key prefix of the budget; default `meshray:budget:<protocol>:` (tests use their own). */
  readonly keyPrefix?: string;
}

export function createTraceSampler(settings: SamplingSettings, deps: { readonly redis?: Redis; readonly registry: Registry; readonly clock: () => number }): TraceSampler {
  const keep = parseKeepExpression(settings.keep);
  if (!keep.ok) throw new Error(`SAMPLE_KEEP passed validation but does not parse: ${keep.issues.map((i) => i.message).join('; ')}`);
  const metrics = createSamplingMetrics(deps.registry);
  const limitPerSecond = settings.limitPerSecond;
  const budget = deps.redis === undefined
    ? new LocalExportBudget({ limitPerSecond, nowMs: deps.clock })
    : new RedisExportBudget({ redis: deps.redis, limitPerSecond, instanceId: randomUUID(), keyPrefix: settings.keyPrefix ?? `meshray:budget:${settings.protocol}:`, nowMs: deps.clock });
  return new TraceSampler({
    policy: { slowMs: settings.slowMs, keep: keep.value }, protocol: settings.protocol, budget, decisionTtlMs: settings.decisionTtlMs, maxDecisions: settings.maxDecisions, metrics, clock: deps.clock,
  });
}
