import { Counter, Gauge, type Registry } from 'prom-client';
/** What the gauges read from the assembly window at each scrape. */
export interface ObservedWindow {
  traceCount(): number;
  readonly spans: number;
  /** Milliseconds since the oldest held trace arrived, now (the caller's clock); 0 when none. */
  oldestAgeMs(): number;
}

/**
 * The assembly window's Prometheus metrics: its state (gauges) and what left it, by reason (counters).
 * The declarations are alike by nature (prom-client's own name/help/labels/registers shape), as in
 * services/translator/metrics.ts and services/receiver/metrics.ts: each metric is one declaration.
 */
export function createAssemblyMetrics(registry: Registry) {
  const registers = [registry];
  /** The window, read by the gauges at each scrape (`observe`); absent: the gauges stay 0. */
  let observed: ObservedWindow | undefined;
  return {
    /**
     * The gauges read `window` when scraped. Finding the oldest trace scans every held trace, so it is done
     * per scrape, not per batch: the scan was 0.8 % of a drain's translator profile (docs/sizing.md §3).
     */
    observe(window: ObservedWindow): void {
      observed = window;
    },
    traces: new Gauge({
      name: 'meshray_translator_assembly_traces', help: 'traces held in the assembly window', registers,
      collect() { if (observed) this.set(observed.traceCount()); },
    }),
    spans: new Gauge({
      name: 'meshray_translator_assembly_spans', help: 'span records held in the assembly window (bounded by ASSEMBLY_MAX_SPANS)', registers,
      collect() { if (observed) this.set(observed.spans); },
    }),
    oldestAge: new Gauge({
      name: 'meshray_translator_assembly_oldest_age_seconds', help: 'age of the oldest trace held in the assembly window', registers,
      collect() { if (observed) this.set(observed.oldestAgeMs() / 1000); },
    }),
    flushed: new Counter({
      name: 'meshray_translator_assembly_flushed_traces_total', help: 'traces taken out of the assembly window for export, by reason (idle, max_age, pressure, reset: the partition\'s offsets started over); a trace put back after a failed export is not counted again',
      labelNames: ['reason'] as const, registers,
    }),
    refusedBatches: new Counter({
      name: 'meshray_translator_assembly_refused_batches_total',
      help: 'batches not taken in (backpressure: fetched again after a pause), by reason: window_full (ASSEMBLY_MAX_SPANS held, no room made), export_failing (the partition\'s last export was put back: X-Ray down or throttling)',
      labelNames: ['reason'] as const, registers,
    }),
    late: new Counter({
      name: 'meshray_translator_assembly_late_spans_total', help: 'span records that arrived after their trace left the window: exported on their own, never dropped', registers,
    }),
  };
}

export type AssemblyMetrics = ReturnType<typeof createAssemblyMetrics>;
