/**
 * The receiver's one face: the Zipkin-compatible HTTP front (:9411) as a library. The split receiver starts
 * through `startReceiver` (main.ts, its composition root); the all-in-one builds the same app around an
 * in-process publisher. Nothing outside services/receiver/ imports deeper (eslint.config.js).
 */
export { buildApp, serverOptions, type AppDeps, type ReceiverTimeouts } from './app.ts';
export { checkReceiverEdge, checkRequestFitsBuffer, receiverEdgeEnv, receiverEnvSchema, type ReceiverConfig } from './config.ts';
export { receiverEdge, type ReceiverEdge } from './edge.ts';
export { receiverMetrics, type ReceiverMetrics } from './metrics.ts';
export { startReceiver, type RunningReceiver } from './main.ts';
export { InProcessSpanPublisher, type InProcessSpanPublisherOptions } from './publish/in-process-span-publisher.ts';
