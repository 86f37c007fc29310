import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The translator's Prometheus metrics. Per-span and per-document outcomes are counted here, never logged. */
export function createTranslatorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    partitionLag: new Gauge({
      name: 'meshray_translator_partition_lag', help: 'records of a partition not yet committed by this consumer',
      labelNames: ['topic', 'partition'] as const, registers,
    }),
    batches: new Counter({
      name: 'meshray_translator_batches_total', help: 'record batches handled, by outcome (committed, failed, abandoned)',
      labelNames: ['outcome'] as const, registers,
    }),
    records: new Counter({
      name: 'meshray_translator_records_total', help: 'span records committed', registers,
    }),
    spansTranslated: new Counter({
      name: 'meshray_translator_spans_translated_total', help: 'spans translated into segment documents', registers,
    }),
    documentsExported: new Counter({
      name: 'meshray_translator_documents_exported_total', help: 'segment documents X-Ray accepted (with PACKING=on one carries a service hop: its segment and nested subsegments)', registers,
    }),
    subsegmentsSplit: new Counter({
      name: 'meshray_translator_subsegments_split_total', help: 'subsegments sent as documents of their own because their packed segment document would pass 64 KB', registers,
    }),
    spansRejected: new Counter({
      name: 'meshray_translator_spans_rejected_total', help: 'records or spans that could not become documents, by reason',
      labelNames: ['reason'] as const, registers,
    }),
    epochRewrites: new Counter({
      name: 'meshray_translator_epoch_rewrites_total', help: 'X-Ray trace ids whose epoch part was rewritten', registers,
    }),
    metadataTrimmed: new Counter({
      name: 'meshray_translator_metadata_trimmed_total', help: 'documents whose metadata was trimmed to fit X-Ray limits', registers,
    }),
    kindRepaired: new Counter({
      name: 'meshray_translator_kind_repaired_total', help: 'spans whose missing or inconsistent kind was repaired', registers,
    }),
    redisFallbacks: new Counter({
      name: 'meshray_translator_redis_fallbacks_total', help: 'batches translated on local epoch caches because Redis was unavailable', registers,
    }),
    putCalls: new Counter({
      name: 'meshray_translator_put_calls_total', help: 'PutTraceSegments calls, by outcome (ok, throttled, unavailable, denied, rejected)',
      labelNames: ['outcome'] as const, registers,
    }),
    documentsPerCall: new Histogram({
      name: 'meshray_translator_documents_per_call', help: 'segment documents sent per PutTraceSegments call',
      buckets: [1, 2, 5, 10, 20, 30, 40, 50], registers,
    }),
    throttles: new Counter({
      name: 'meshray_translator_throttles_total', help: 'throttled PutTraceSegments calls or documents', registers,
    }),
    unprocessedSegments: new Counter({
      name: 'meshray_translator_unprocessed_segments_total', help: 'UnprocessedTraceSegments entries, by X-Ray error code',
      labelNames: ['error_code'] as const, registers,
    }),
    deadLetters: new Counter({
      name: 'meshray_translator_dead_letters_total', help: 'records written to the dead-letter topic, by error code and reason',
      labelNames: ['code', 'reason'] as const, registers,
    }),
  };
}

export type TranslatorMetrics = ReturnType<typeof createTranslatorMetrics>;
