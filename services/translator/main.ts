/**
 * THE composition root of the translator: configuration (fail fast), logger, Kafka, Redis, X-Ray client,
 * adapters, the ops listener; graceful shutdown on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT.
 */
import { XRayClient } from '@aws-sdk/client-xray';
import { Redis } from 'ioredis';
import { loadConfig } from '../../shared/config/index.ts';
import { createKafka } from '../../shared/kafka/client.ts';
import { ensureTopics } from '../../shared/kafka/topics.ts';
import { createLogger } from '../../shared/log/index.ts';
import { createRegistry } from '../../shared/metrics/registry.ts';
import { buildApp } from './app.ts';
import { translatorEnvSchema } from './config.ts';
import { KafkaSpanSource } from './consume/kafka-span-source.ts';
import { RedisEpochStore } from './epochs/redis-epoch-store.ts';
import { KafkaDeadLetterSink } from './export/dead-letter.ts';
import { XRaySegmentSink } from './export/xray-segment-sink.ts';
import { ConsumerHealth } from './health.ts';
import { createTranslatorMetrics } from './metrics.ts';
import { translatorConfigOf } from './translate/translator-config.ts';

const config = loadConfig(translatorEnvSchema);
const logger = createLogger({ level: config.LOG_LEVEL, service: 'translator' });
const log = logger.child({ component: 'main' });
const registry = createRegistry({ defaultMetrics: true });
const metrics = createTranslatorMetrics(registry);
const health = new ConsumerHealth({ stallTimeoutMs: config.LIVENESS_STALL_TIMEOUT, now: Date.now });

const kafkaLog = logger.child({ component: 'kafkajs' });
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: config.KAFKA_CLIENT_ID,
  log: (level, message, extra) => kafkaLog[level](extra, message),
});

const redis = config.EPOCH_STORE === 'redis'
  ? new Redis(config.REDIS_URL, {
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 500,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 5000),
    lazyConnect: false,
  })
  : undefined;
redis?.on('error', () => { /* counted as redis_fallback per batch; ioredis reconnects by itself */ });

// Local X-Ray (XRAY_ENDPOINT) needs no real credentials; AWS uses the default provider chain.
const localCredentials = config.XRAY_ENDPOINT !== undefined && process.env['AWS_ACCESS_KEY_ID'] === undefined
  ? { credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' } }
  : {};
const xray = new XRayClient({
  region: config.AWS_REGION,
  maxAttempts: 1, // XRaySegmentSink retries (with heartbeats between retries)
  ...(config.XRAY_ENDPOINT !== undefined ? { endpoint: config.XRAY_ENDPOINT } : {}),
  ...localCredentials,
});
const sink = new XRaySegmentSink({
  client: xray,
  metrics,
  maxConcurrency: config.XRAY_MAX_CONCURRENCY,
  maxRetries: config.XRAY_MAX_RETRIES,
  retryBaseMs: config.XRAY_RETRY_BASE,
  retryMaxMs: config.XRAY_RETRY_MAX,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
const deadLetters = new KafkaDeadLetterSink({ producer, topic: config.DLQ_TOPIC });
const source = new KafkaSpanSource({
  kafka,
  groupId: config.TRANSLATOR_GROUP_ID,
  topic: config.SPANS_TOPIC,
  partitionsConcurrency: config.PARTITIONS_CONCURRENCY,
  logger,
  metrics,
  health,
});
const app = buildApp({
  translatorConfig: translatorConfigOf(config),
  poisonMaxAttempts: config.POISON_MAX_ATTEMPTS,
  logger,
  registry,
  metrics,
  health,
  source,
  sink,
  deadLetters,
  ...(redis ? { sharedEpochs: new RedisEpochStore({ redis, ttlMs: config.EPOCH_TTL }) } : {}),
  clock: Date.now,
});

async function ensureDeadLetterTopic(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(config.DLQ_TOPIC)) await ensureTopics(kafka, [{ topic: config.DLQ_TOPIC, numPartitions: 1, replicationFactor: -1 }]);
  } finally {
    await admin.disconnect();
  }
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT);
  deadline.unref();
  try {
    await app.stop(); // stops fetching; batches in flight finish and commit what was exported
    await producer.disconnect(); // flushes dead letters
    redis?.disconnect();
    xray.destroy();
    await app.http.close();
    log.info('stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.http.listen({ host: config.OPS_HOST, port: config.TRANSLATOR_OPS_PORT });
  await ensureDeadLetterTopic();
  await producer.connect();
  await app.start();
  log.info({ topic: config.SPANS_TOPIC, groupId: config.TRANSLATOR_GROUP_ID, epochStore: config.EPOCH_STORE }, 'translator started');
} catch (err) {
  log.fatal({ err }, 'translator failed to start');
  process.exit(1);
}
