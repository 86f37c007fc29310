import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The receiver's counters. Per-span outcomes are counted here (never logged one by one):
 * `spans_received_total` counts spans accepted from requests; `spans_refused_total{reason}` spans not taken:
 * a request answered with an error (reason = error code in lower case, e.g. buffer_full, ack_timeout) or one
 * span refused alone in a 202 (reason = the field at fault, e.g. invalid_trace_id, invalid_port);
 * `spans_repaired_total{reason}` accepted spans meshray repaired (timestamp_unit_repaired: epoch ms/s; span_trimmed: values cut to fit a record);
 * `spans_published_total` spans Kafka acknowledged; `spans_dropped_total{reason}` spans that were
 * accepted but will never reach the topic (dropped_at_shutdown, publish_failed).
 */
export interface ReceiverMetrics {
  readonly spansReceived: Counter;
  readonly spansRefused: Counter<'reason'>;
  readonly spansRepaired: Counter<'reason'>;
  readonly spansPublished: Counter;
  readonly recordsPublished: Counter;
  readonly spansDropped: Counter<'reason'>;
  readonly requests: Counter<'route' | 'status'>;
  readonly publishBatchSpans: Histogram;
  readonly publishDurationSeconds: Histogram;
  readonly publishRetries: Counter;
  readonly bufferSpans: Gauge;
  readonly bufferCapacitySpans: Gauge;
  /**
   * Makes `meshray_receiver_buffer_spans` read `spans()` at each scrape, so the gauge follows the buffer while
   * it fills (a Kafka outage acknowledges nothing), not only when acknowledgements empty it. The last call wins.
   */
  observeBuffer(spans: () => number): void;
  readonly connectionsDropped: Counter;
}

const byRegistry = new WeakMap<Registry, ReceiverMetrics>();

/**
 * The receiver's metrics on `registry`; the same instances for every caller sharing the registry.
 *
 * The declarations are alike by nature (name, help, labels, registry: prom-client's own shape), here and in
 * the other service's metrics.ts; each service names its own metrics.
 */
export function receiverMetrics(registry: Registry): ReceiverMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  let bufferedSpans: (() => number) | undefined;
  const metrics: ReceiverMetrics = {
    observeBuffer(spans) { bufferedSpans = spans; },
    spansReceived: new Counter({
      name: 'meshray_receiver_spans_received_total', help: 'spans accepted from requests', registers,
    }),
    spansRefused: new Counter({
      name: 'meshray_receiver_spans_refused_total',
      help: 'spans not taken, by reason: the error code of a refused request, or the field at fault of a span refused alone',
      labelNames: ['reason'], registers,
    }),
    spansRepaired: new Counter({
      name: 'meshray_receiver_spans_repaired_total', help: 'accepted spans repaired by meshray, by reason (timestamp_unit_repaired, span_trimmed)',
      labelNames: ['reason'], registers,
    }),
    spansPublished: new Counter({
      name: 'meshray_receiver_spans_published_total', help: 'spans acknowledged by the span topic', registers,
    }),
    recordsPublished: new Counter({
      name: 'meshray_receiver_records_published_total', help: 'span-topic records acknowledged (each carries the spans of one partition from one send)', registers,
    }),
    spansDropped: new Counter({
      name: 'meshray_receiver_spans_dropped_total', help: 'accepted spans that will never reach the span topic, by reason',
      labelNames: ['reason'], registers,
    }),
    connectionsDropped: new Counter({
      name: 'meshray_receiver_connections_dropped_total', help: 'connections closed on arrival because RECEIVER_MAX_CONNECTIONS were open', registers,
    }),
    requests: new Counter({
      name: 'meshray_receiver_requests_total', help: 'span requests by route and HTTP status',
      labelNames: ['route', 'status'], registers,
    }),
    publishBatchSpans: new Histogram({
      name: 'meshray_receiver_publish_batch_spans', help: 'spans per Kafka sendBatch call (acknowledged batches)',
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000], registers,
    }),
    publishDurationSeconds: new Histogram({
      name: 'meshray_receiver_publish_duration_seconds', help: 'duration of successful Kafka sendBatch calls',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers,
    }),
    publishRetries: new Counter({
      name: 'meshray_receiver_publish_retries_total', help: 'failed Kafka sendBatch attempts that will be retried', registers,
    }),
    bufferSpans: new Gauge({
      name: 'meshray_receiver_buffer_spans', help: 'spans held awaiting Kafka acknowledgement', registers,
      collect() { if (bufferedSpans) this.set(bufferedSpans()); }, // prom-client calls it at each scrape
    }),
    bufferCapacitySpans: new Gauge({
      name: 'meshray_receiver_buffer_capacity_spans', help: 'most spans the publish buffer holds (BUFFER_MAX_SPANS)', registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
