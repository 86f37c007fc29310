/** Public API of the receiver: the HTTP app, its publish port and adapters, configuration, metrics. */
export { buildApp, type AppDeps } from './app.ts';
export { receiverEnvSchema, type ReceiverConfig } from './config.ts';
export { receiverMetrics, type ReceiverMetrics } from './metrics.ts';
export type { SpanPublisher } from './publish/span-publisher.ts';
export { KafkaSpanPublisher, type KafkaSpanPublisherOptions, type AckMode } from './publish/kafka-span-publisher.ts';
export { InProcessSpanPublisher, type InProcessSpanPublisherOptions } from './publish/in-process-span-publisher.ts';
export { toRecords } from './publish/to-records.ts';
export { startReceiver, type RunningReceiver } from './main.ts';
