import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Tail sampling's Prometheus metrics (SAMPLING=on). The declarations are alike by nature (prom-client's
 * own name/help/labels/registers shape), as in services/translator/metrics.ts: each metric is one declaration.
 */
export function createSamplingMetrics(registry: Registry) {
  const registers = [registry];
  return {
    spans: new Counter({
      name: 'meshray_translator_sampling_spans_total',
      help: 'spans of assembled traces by sampling decision (kept, sampled_out), the policy that decided (error, slow, keep_rule, adaptive, unknown: a late span whose trace decision expired) and service; sampled-out spans are committed, not exported',
      labelNames: ['decision', 'policy', 'service'] as const, registers,
    }),
    rate: new Gauge({
      name: 'meshray_translator_sampling_rate', help: 'effective sampling rate per service since start: spans kept / spans decided',
      labelNames: ['service'] as const, registers,
    }),
    adaptiveRate: new Gauge({ name: 'meshray_translator_sampling_adaptive_rate', help: 'share of adaptive traces (no error, not slow, not matching SAMPLE_KEEP) offered to the export budget', registers }),
    budgetFallbacks: new Counter({
      name: 'meshray_translator_sampling_budget_fallbacks_total', help: 'export budget requests decided on this instance\'s share of the limit because Redis did not answer', registers,
    }),
  };
}

export type SamplingMetrics = ReturnType<typeof createSamplingMetrics>;
