import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../shared/edge/config/index.ts';
import { isMeshrayError } from '../../shared/edge/errors/index.ts';
import { listenOn } from '../../shared/edge/http/listen.ts';
import { createKafkaFromConfig } from '../../shared/edge/kafka/from-config.ts';
import { ensureTopics } from '../../shared/edge/kafka/topics.ts';
import { KAFKA_START_RETRY, untilKafkaAnswers } from '../../shared/edge/kafka/until-kafka-answers.ts';
import { createLogger, type Logger } from '../../shared/edge/log/index.ts';
import { createRegistry } from '../../shared/edge/metrics/registry.ts';
import { setHeapGrowingPercent } from '../../shared/edge/runtime/heap-growing.ts';
import { buildApp } from './app.ts';
import { receiverEnvSchema, type ReceiverConfig } from './config.ts';
import { receiverEdge } from './edge.ts';
import { KafkaSpanPublisher } from './publish/kafka-span-publisher.ts';
import { SpanTopicWatch } from './publish/span-topic-watch.ts';

export interface RunningReceiver {
  readonly app: FastifyInstance;
  readonly publisher: KafkaSpanPublisher;
  readonly config: ReceiverConfig;
  /** Stops accepting, lets in-flight requests finish, flushes the buffer (up to the drain timeout), disconnects. */
  stop(): Promise<void>;
  /**
   * What an exit at once (a second signal while `stop` drains) loses, in one line: the spans still buffered for
   * Kafka. With ACK_MODE=buffer they were answered 202 and are lost; with ACK_MODE=kafka none was answered 202.
   */
  abandon(): string;
}

/**
 * The receiver's composition root: configuration (failing fast with every problem), Kafka client,
 * publisher, HTTP app, listening, then the span topic. The port is taken first, so a busy port fails at
 * once with one line naming RECEIVER_PORT (PORT_UNAVAILABLE). Kafka being unreachable, at start or
 * later, is survived: readiness is false with the brokers and the cause, and the span topic is retried
 * with backoff (one warn line). An existing span topic with another partition count than
 * SPANS_TOPIC_PARTITIONS (raised since it was created) is used as it is: spans are keyed over its count, with a warning.
 * Then the span topic is watched (SpanTopicWatch, every SPANS_TOPIC_CHECK_INTERVAL): partitions raised while
 * it runs are keyed over at once, and an idle receiver whose Kafka stopped answering turns unready.
 */
export async function startReceiver(env: Record<string, string | undefined> = process.env, logger?: Logger): Promise<RunningReceiver> {
  const config = loadConfig(receiverEnvSchema, env);
  const log = logger ?? createLogger({ level: config.LOG_LEVEL, service: 'receiver' });
  const heapGrowingPercent = setHeapGrowingPercent(config.HEAP_GROWING_PERCENT);
  const registry = createRegistry({ defaultMetrics: true });
  const edge = receiverEdge(config, log); // token file and TLS pair read now: a bad one fails the start
  const kafka = createKafkaFromConfig(config, log);

  const publisher = new KafkaSpanPublisher({
    kafka,
    topic: config.SPANS_TOPIC,
    partitions: config.SPANS_TOPIC_PARTITIONS,
    ackMode: config.ACK_MODE,
    ackTimeoutMs: config.ACK_TIMEOUT,
    bufferMaxSpans: config.BUFFER_MAX_SPANS,
    lingerMs: config.BATCH_LINGER,
    batchMaxMessages: config.BATCH_MAX_MESSAGES,
    drainTimeoutMs: config.SHUTDOWN_DRAIN_TIMEOUT,
    logger: log,
    registry,
  });

  let stopping: Promise<void> | undefined;
  let watch: SpanTopicWatch | undefined;
  // The watch decides readiness only for an idle receiver (no send acknowledged within two rounds).
  const idleWatchProblem = (): string | undefined =>
    (watch?.problem !== undefined && publisher.idleFor(2 * config.SPANS_TOPIC_CHECK_INTERVAL) ? watch.problem : undefined);
  let kafkaProblem: string | undefined = `waiting for Kafka at ${config.KAFKA_BROKERS.join(',')} (span topic ${config.SPANS_TOPIC})`;
  const app = buildApp({
    config,
    publisher,
    logger: log,
    registry,
    isReady: () => (stopping ? 'shutting down' : kafkaProblem ?? publisher.readinessProblem() ?? idleWatchProblem() ?? true),
    ...(edge.tokens ? { tokens: edge.tokens } : {}),
    ...(edge.tls ? { tls: edge.tls } : {}),
    timeouts: edge.timeouts,
    maxConnections: edge.maxConnections,
  });
  const address = await listenOn(app, {
    port: config.RECEIVER_PORT, host: config.RECEIVER_HOST, portVariable: 'RECEIVER_PORT', hostVariable: 'RECEIVER_HOST',
  });
  edge.start(app.server);
  log.info({ address, ackMode: config.ACK_MODE, heapGrowingPercent, ...edge.description }, 'receiver listening');

  const abort = new AbortController();
  let firstFailure!: () => void;
  const failedOnce = new Promise<void>((resolve) => { firstFailure = resolve; });
  const startKafka = createKafkaFromConfig(config, log, { retry: KAFKA_START_RETRY });
  const started = untilKafkaAnswers(() => ensureTopics(startKafka, [{
    topic: config.SPANS_TOPIC,
    numPartitions: config.SPANS_TOPIC_PARTITIONS,
    replicationFactor: config.SPANS_TOPIC_REPLICATION_FACTOR,
    // An existing topic's count is the one spans are keyed over (its partitions may have been raised since)
    partitionsMustMatch: false,
  }]), {
    brokers: config.KAFKA_BROKERS,
    what: `span topic ${config.SPANS_TOPIC}`,
    logger: log,
    onProblem: (p) => { if (p !== undefined) { kafkaProblem = p; firstFailure(); } },
    signal: abort.signal,
  }).then((topics) => {
    if (topics === undefined) return; // stopped before Kafka answered
    const partitions = topics.partitions.get(config.SPANS_TOPIC) ?? config.SPANS_TOPIC_PARTITIONS;
    log.info({ topic: config.SPANS_TOPIC, created: topics.created.length > 0, partitions }, 'span topic ready');
    if (partitions !== config.SPANS_TOPIC_PARTITIONS) {
      log.warn({ topic: config.SPANS_TOPIC, partitions, SPANS_TOPIC_PARTITIONS: config.SPANS_TOPIC_PARTITIONS },
        `${config.SPANS_TOPIC} has ${partitions} partitions, not SPANS_TOPIC_PARTITIONS=${config.SPANS_TOPIC_PARTITIONS}: spans are keyed over its ${partitions} (SPANS_TOPIC_PARTITIONS only sizes a topic the receiver creates)`);
    }
    kafkaProblem = undefined;
    publisher.start(partitions);
    if (stopping !== undefined) return;
    watch = new SpanTopicWatch({
      kafka: createKafkaFromConfig(config, log, { retry: { retries: 2 } }), topic: config.SPANS_TOPIC, intervalMs: config.SPANS_TOPIC_CHECK_INTERVAL, partitions,
      onPartitions: (raised) => { publisher.setPartitions(raised); }, logger: log,
    });
    watch.start();
  });
  // A reachable Kafka: resolve once the topic is ready (the receiver is then ready). An unreachable one:
  // resolve after the first failed attempt and keep retrying in the background.
  let startReturned = false; // before: a failure is thrown by startReceiver, not logged
  started.catch((e: unknown) => {
    if (!startReturned) return;
    const error = e;
    kafkaProblem = error instanceof Error ? error.message : String(error);
    log.error({ code: isMeshrayError(error) ? error.code : undefined }, kafkaProblem);
  });
  try {
    await Promise.race([started, failedOnce]);
  } catch (error) {
    edge.stop();
    await app.close();
    throw error;
  }
  startReturned = true;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('receiver stopping');
      abort.abort(); // an attempt in flight is left to fail on its own
      edge.stop();
      watch?.stop();
      await app.close(); // stop accepting; in-flight requests finish (at most ACK_TIMEOUT)
      const { droppedSpans } = await publisher.close(); // flush the buffer, then disconnect
      log.info({ droppedSpans }, 'receiver stopped');
    })();
    return stopping;
  };
  const abandon = (): string => {
    const held = publisher.bufferedSpans;
    const spans = held === 1 ? '1 span' : `${held} spans`;
    const said = held === 0
      ? 'no span was waiting for Kafka'
      : config.ACK_MODE === 'buffer'
        ? `${spans} answered 202 (ACK_MODE=buffer) and not yet in Kafka are lost`
        : `${spans} not yet in Kafka are dropped; none was answered 202 (ACK_MODE=kafka): their senders know they were not taken`;
    return said;
  };
  return { app, publisher, config, stop, abandon };
}
