import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../shared/config/index.ts';
import { isMeshrayError } from '../../shared/errors/index.ts';
import { createKafkaFromConfig } from '../../shared/kafka/from-config.ts';
import { ensureTopics } from '../../shared/kafka/topics.ts';
import { createLogger, type Logger } from '../../shared/log/index.ts';
import { createRegistry } from '../../shared/metrics/registry.ts';
import { buildApp } from './app.ts';
import { receiverEnvSchema, type ReceiverConfig } from './config.ts';
import { KafkaSpanPublisher } from './publish/kafka-span-publisher.ts';

export interface RunningReceiver {
  readonly app: FastifyInstance;
  readonly publisher: KafkaSpanPublisher;
  readonly config: ReceiverConfig;
  /** Stops accepting, lets in-flight requests finish, flushes the buffer (up to the drain timeout), disconnects. */
  stop(): Promise<void>;
}

/**
 * The receiver's composition root: configuration (failing fast with every problem), Kafka client,
 * span topic, publisher, HTTP app, listening. Kafka being down after start is survived (spans stay
 * buffered); Kafka being unreachable at start fails here, for the orchestrator to restart us.
 */
export async function startReceiver(env: Record<string, string | undefined> = process.env, logger?: Logger): Promise<RunningReceiver> {
  const config = loadConfig(receiverEnvSchema, env);
  const log = logger ?? createLogger({ level: config.LOG_LEVEL, service: 'receiver' });
  const registry = createRegistry({ defaultMetrics: true });
  const kafka = createKafkaFromConfig(config, log);
  const topics = await ensureTopics(kafka, [{
    topic: config.SPANS_TOPIC,
    numPartitions: config.SPANS_TOPIC_PARTITIONS,
    replicationFactor: config.SPANS_TOPIC_REPLICATION_FACTOR,
  }]);
  log.info({ topic: config.SPANS_TOPIC, created: topics.created.length > 0 }, 'span topic ready');

  const publisher = new KafkaSpanPublisher({
    kafka,
    topic: config.SPANS_TOPIC,
    ackMode: config.ACK_MODE,
    ackTimeoutMs: config.ACK_TIMEOUT,
    bufferMaxSpans: config.BUFFER_MAX_SPANS,
    lingerMs: config.BATCH_LINGER,
    batchMaxMessages: config.BATCH_MAX_MESSAGES,
    drainTimeoutMs: config.SHUTDOWN_DRAIN_TIMEOUT,
    logger: log,
    registry,
  });
  publisher.start();

  let stopping: Promise<void> | undefined;
  const app = buildApp({
    config,
    publisher,
    logger: log,
    registry,
    isReady: () => (stopping ? 'shutting down' : publisher.readinessProblem() ?? true),
  });
  const address = await app.listen({ port: config.RECEIVER_PORT, host: config.RECEIVER_HOST });
  log.info({ address, ackMode: config.ACK_MODE }, 'receiver listening');

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('receiver stopping');
      await app.close(); // stop accepting; in-flight requests finish (at most ACK_TIMEOUT)
      const { droppedSpans } = await publisher.close(); // flush the buffer, then disconnect
      log.info({ droppedSpans }, 'receiver stopped');
    })();
    return stopping;
  };
  return { app, publisher, config, stop };
}

async function runMain(): Promise<void> {
  let receiver: RunningReceiver;
  try {
    receiver = await startReceiver();
  } catch (e) {
    // CONFIG_INVALID lists every problem; anything else (Kafka unreachable at start) is reported as is.
    console.error(isMeshrayError(e) ? e.message : e);
    process.exit(1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    receiver.stop().then(() => process.exit(0), (e: unknown) => {
      console.error(`shutdown after ${signal} failed`, e);
      process.exit(1);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain();
