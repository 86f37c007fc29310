import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The translator's Prometheus metrics. Per-span and per-document outcomes are counted here, never logged.
 *
 * The declarations are alike by nature (name, help, labels, registry: prom-client's own shape), here and in
 * the other service's metrics.ts; each service names its own metrics.
 */
export function createTranslatorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    partitionLag: new Gauge({
      name: 'meshray_translator_partition_lag', help: 'records of a partition not yet committed by this consumer',
      labelNames: ['topic', 'partition'] as const, registers,
    }),
    batches: new Counter({
      name: 'meshray_translator_batches_total', help: 'record batches handled, by outcome (committed; partial: committed up to a record that failed and is tried again, POISON_MAX_ATTEMPTS; poison_retry: that record was the first, nothing committed; failed; abandoned) and export protocol (segments, otlp)',
      labelNames: ['outcome', 'protocol'] as const, registers,
    }),
    records: new Counter({
      name: 'meshray_translator_records_total', help: 'span records committed, by export protocol', labelNames: ['protocol'] as const, registers,
    }),
    spansTranslated: new Counter({
      name: 'meshray_translator_spans_translated_total', help: 'spans translated into segment documents or OTLP spans and exported, by export protocol',
      labelNames: ['protocol'] as const, registers,
    }),
    documentsExported: new Counter({
      name: 'meshray_translator_documents_exported_total', help: 'segment documents X-Ray accepted (with PACKING=on one carries a service hop: its segment and nested subsegments)', registers,
    }),
    documentsNotResent: new Counter({
      name: 'meshray_translator_documents_not_resent_total',
      help: 'translated documents not sent because X-Ray accepted the same trace and id recently (a span delivered twice, PACKING=on: sent again it would replace the packed document that nested its neighbours)',
      registers,
    }),
    subsegmentsSplit: new Counter({
      name: 'meshray_translator_subsegments_split_total', help: 'subsegments sent as documents of their own because their packed segment document would pass 64 KB', registers,
    }),
    spansRejected: new Counter({
      name: 'meshray_translator_spans_rejected_total', help: 'records or spans that could not become documents, by reason and export protocol',
      labelNames: ['reason', 'protocol'] as const, registers,
    }),
    epochRewrites: new Counter({
      name: 'meshray_translator_epoch_rewrites_total', help: 'X-Ray trace ids whose epoch part was rewritten', registers,
    }),
    metadataTrimmed: new Counter({
      name: 'meshray_translator_metadata_trimmed_total', help: 'documents whose metadata was trimmed to fit X-Ray limits (64 KB), or OTLP spans whose attributes or events were trimmed to fit 200 KB', registers,
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
      name: 'meshray_translator_dead_letters_total', help: 'records written to the dead-letter topic, by error code, reason and export protocol',
      labelNames: ['code', 'reason', 'protocol'] as const, registers,
    }),
    otlpRequests: new Counter({
      name: 'meshray_translator_otlp_requests_total', help: 'requests to the OTLP traces endpoint (EXPORT_PROTOCOL=otlp), by outcome (ok, partial, throttled, unavailable, denied, refused)',
      labelNames: ['outcome'] as const, registers,
    }),
    consumerRebuilds: new Counter({
      name: 'meshray_translator_consumer_rebuilds_total', help: 'Kafka consumers replaced after a crash or stop kafkajs did not recover from', registers,
    }),
  };
}

export type TranslatorMetrics = ReturnType<typeof createTranslatorMetrics>;
