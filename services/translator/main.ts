/**
 * THE composition root of the translator: configuration (fail fast), logger, Kafka, Redis, X-Ray client,
 * adapters, the ops listener; graceful shutdown on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT.
 */
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../../shared/edge/config/index.ts';
import { isMeshrayError } from '../../shared/edge/errors/index.ts';
import { listenOn } from '../../shared/edge/http/listen.ts';
import { createKafkaFromConfig } from '../../shared/edge/kafka/from-config.ts';
import { ensureTopics, requireTopics } from '../../shared/edge/kafka/topics.ts';
import { KAFKA_START_RETRY, untilKafkaAnswers } from '../../shared/edge/kafka/until-kafka-answers.ts';
import { createLogger } from '../../shared/edge/log/index.ts';
import { createRegistry } from '../../shared/edge/metrics/registry.ts';
import { buildApp } from './app.ts';
import { translatorEnvSchema } from './config.ts';
import { KafkaSpanSource } from './consume/kafka-span-source.ts';
import { FAIL_FAST_REDIS_OPTIONS, RedisEpochStore } from './epochs/redis-epoch-store.ts';
import { KafkaDeadLetterSink } from './export/dead-letter.ts';
import { exportSinkFromSettings } from './export/protocol-sink.ts';
import { TransactionSearchCheck } from './export/transaction-search.ts';
import { createXRayClient, describeExportTarget } from './export/xray-client.ts';
import { ConsumerHealth, ExportHealth } from './health.ts';
import { createTranslatorMetrics } from './metrics.ts';
import { translatorConfigOf } from './translate/translator-config.ts';
import { createTraceSampler } from './sample/create-sampler.ts';

/**
 * Bytes fetched per partition (kafkajs' default is 1 MB). A backlog then arrives in batches of ~300 spans
 * instead of ~1300: fewer documents alive at once, less promoted to the old generation, and ~25 % less CPU
 * per span (bench/e2e.bench.ts, draining 150k spans). Kafka still returns a larger record batch whole.
 */
const FETCH_MAX_BYTES_PER_PARTITION = 128 * 1024;

/** Between looks for the span topic at start (full jitter): 500 ms doubling to 5 s. */
const SPAN_TOPIC_WAIT_BACKOFF = { baseMs: 500, maxMs: 5000 } as const;

export interface RunningTranslator {
  /** The port /health and /metrics listen on (TRANSLATOR_OPS_PORT, or the one picked for 0). */
  readonly opsPort: number;
  /** Stops fetching, lets batches in flight finish and commit, flushes dead letters, disconnects. */
  close(): Promise<void>;
}

/** Starts a translator from environment variables; resolves once it has started consuming. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<RunningTranslator> {
  // Every composition root opens alike (config, logger, registry): the steps are one line each, from shared/edge.
  const config = loadConfig(translatorEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'translator' });
  const log = logger.child({ component: 'main' });
  const registry = createRegistry({ defaultMetrics: true });
  const metrics = createTranslatorMetrics(registry);
  const exportHealth = new ExportHealth({ failureTimeoutMs: config.EXPORT_FAILURE_TIMEOUT, now: Date.now });
  const health = new ConsumerHealth({ stallTimeoutMs: config.LIVENESS_STALL_TIMEOUT, now: Date.now, exportState: exportHealth });
  const target = describeExportTarget({ region: config.AWS_REGION, endpoint: config.XRAY_ENDPOINT, env });
  log.info({ export: { protocol: config.EXPORT_PROTOCOL, ...target } }, 'exporting to X-Ray');

  const kafka = createKafkaFromConfig(config, logger);

  const redis = config.EPOCH_STORE === 'redis' || config.SAMPLING === 'on'
    ? new Redis(config.REDIS_URL, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: false })
    : undefined;
  redis?.on('error', () => { /* counted as redis_fallback per batch; ioredis reconnects by itself */ });

  const xray = createXRayClient({ region: config.AWS_REGION, endpoint: config.XRAY_ENDPOINT, env });
  const exporter = exportSinkFromSettings(config, { client: xray, endpoint: config.XRAY_ENDPOINT, region: target.region, metrics, health: exportHealth });
  const transactionSearch = config.EXPORT_PROTOCOL === 'otlp' ? new TransactionSearchCheck({ client: xray, logger }) : undefined;
  const newDeadLetterProducer = (): ReturnType<typeof kafka.producer> => kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  const producer = newDeadLetterProducer();
  let dlqPartitions = 1; // learnt from the brokers once the DLQ topic is ensured (below)
  const deadLetters = new KafkaDeadLetterSink({ producer, newProducer: newDeadLetterProducer, topic: config.DLQ_TOPIC, partitions: () => dlqPartitions });
  const source = new KafkaSpanSource({
    kafka,
    groupId: config.TRANSLATOR_GROUP_ID,
    topic: config.SPANS_TOPIC,
    partitionsConcurrency: config.PARTITIONS_CONCURRENCY,
    consumerConfig: { maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION },
    logger,
    metrics,
    health,
  });
  const sampler = config.SAMPLING === 'on' ? createTraceSampler({
    slowMs: config.SAMPLE_SLOW_MS,
    keep: config.SAMPLE_KEEP,
    protocol: config.EXPORT_PROTOCOL,
    limitPerSecond: config.EXPORT_PROTOCOL === 'otlp' ? config.OTLP_SPANS_PER_SECOND : config.XRAY_SEGMENTS_PER_SECOND,
    decisionTtlMs: config.SAMPLE_DECISION_TTL,
    maxDecisions: config.ASSEMBLY_MAX_SPANS,
  }, { ...(redis ? { redis } : {}), registry, clock: Date.now }) : undefined;
  const app = buildApp({
    translatorConfig: translatorConfigOf(config),
    poisonMaxAttempts: config.POISON_MAX_ATTEMPTS,
    logger,
    registry,
    metrics,
    health,
    exportHealth,
    source,
    ...exporter,
    ...(transactionSearch ? { transactionSearch } : {}),
    deadLetters,
    ...(sampler ? { sampler } : {}),
    ...(redis && config.EPOCH_STORE === 'redis' ? { sharedEpochs: new RedisEpochStore({ redis, ttlMs: config.EPOCH_TTL }) } : {}),
    clock: Date.now,
    ...(config.ASSEMBLY === 'on' ? { assembly: { idleMs: config.ASSEMBLY_IDLE, maxAgeMs: config.ASSEMBLY_MAX_AGE, maxSpans: config.ASSEMBLY_MAX_SPANS } } : {}),
  });

  let stopping = false;
  const close = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown took longer than ${config.SHUTDOWN_TIMEOUT} ms`)), config.SHUTDOWN_TIMEOUT);
      timer.unref();
    });
    try {
      await Promise.race([deadline, (async () => {
        transactionSearch?.stop();
        await app.stop(); // stops fetching; batches in flight finish and commit what was exported
        await deadLetters.close(); // its current producer
        redis?.disconnect();
        xray.destroy();
        await app.http.close();
      })()]);
      log.info('stopped');
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await listenOn(app.http, { host: config.OPS_HOST, port: config.TRANSLATOR_OPS_PORT, portVariable: 'TRANSLATOR_OPS_PORT', hostVariable: 'OPS_HOST' });
    // The DLQ's partition count does not matter (records keep their source partition in a header).
    // Kafka unreachable at start: one warn line with the brokers and the cause, retried with backoff (not ready meanwhile).
    const dlq = await untilKafkaAnswers(() => ensureTopics(createKafkaFromConfig(config, logger, { retry: KAFKA_START_RETRY }), [{ topic: config.DLQ_TOPIC, numPartitions: 1, replicationFactor: -1, partitionsMustMatch: false }]),
      { brokers: config.KAFKA_BROKERS, what: `dead-letter topic ${config.DLQ_TOPIC}`, logger, onProblem: (p) => health.waiting(p) });
    dlqPartitions = dlq?.partitions.get(config.DLQ_TOPIC) ?? dlqPartitions;
    // The receiver creates the span topic (with SPANS_TOPIC_PARTITIONS): a translator started first waits for it.
    // Checked every 5 s at most: it starts soon after the receiver does.
    await untilKafkaAnswers(() => requireTopics(createKafkaFromConfig(config, logger, { retry: KAFKA_START_RETRY }), [config.SPANS_TOPIC], 'the receiver creates it'),
      { brokers: config.KAFKA_BROKERS, what: `span topic ${config.SPANS_TOPIC}`, logger, onProblem: (p) => health.waiting(p), policy: SPAN_TOPIC_WAIT_BACKOFF });
    await producer.connect();
    await transactionSearch?.start(); // logs and joins readiness; never fails the start
    await app.start();
    log.info({ topic: config.SPANS_TOPIC, groupId: config.TRANSLATOR_GROUP_ID, epochStore: config.EPOCH_STORE, exportProtocol: config.EXPORT_PROTOCOL, packing: config.PACKING, assembly: config.ASSEMBLY, sampling: config.SAMPLING }, 'translator started');
  } catch (err) {
    if (!isMeshrayError(err)) log.fatal({ err }, 'translator failed to start'); // a MeshrayError is reported in one line by the caller
    await close().catch(() => undefined);
    throw err;
  }
  const address = app.http.server.address();
  return { close, opsPort: typeof address === 'object' && address !== null ? address.port : config.TRANSLATOR_OPS_PORT };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await main();
  const stop = (): void => {
    running.close().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`translator: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
