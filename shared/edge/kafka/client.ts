// Hands kafkajs a native CRC-32C for the record batches it produces (batch-checksum.ts): every client is built here.
import './batch-checksum.ts';
import { Kafka, logLevel as KafkaJsLogLevel, Partitioners } from 'kafkajs';
import type { KafkaConfig, LogEntry, ProducerConfig, Producer, RetryOptions, SASLOptions } from 'kafkajs';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/**
 * Where kafkajs log lines go, e.g. `(level, msg, extra) => logger[level](extra, msg)` for a pino
 * child logger. `extra` carries kafkajs's fields (`namespace`, `broker`, `groupId`, `error`, ...).
 */
export type KafkaLog = (
  level: Exclude<KafkaLogLevel, 'nothing'>,
  message: string,
  extra: Readonly<Record<string, unknown>>,
) => void;

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Minimum level passed on to `log` (default 'warn': kafkajs is chatty at info). */
  readonly logLevel?: KafkaLogLevel;
  /** Log sink; without it kafkajs's own console JSON logger is used. */
  readonly log?: KafkaLog;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /** TLS to the brokers (system CAs). */
  readonly ssl?: boolean;
  /** SASL authentication; absent: none. */
  readonly sasl?: KafkaSasl;
}

export interface KafkaSasl {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/**
 * Retries for a broker restart or a leader election: 300 ms doubling (±20 % jitter), capped at
 * 30 s per wait, 8 retries (~1 min all told) before an operation fails. Consumers additionally
 * restart after a failure (kafkajs `restartOnFailure` default).
 */
export const DEFAULT_RETRY: Readonly<RetryOptions> = {
  initialRetryTime: 300,
  maxRetryTime: 30_000,
  factor: 0.2,
  multiplier: 2,
  retries: 8,
};

const LEVELS: Readonly<Record<KafkaLogLevel, KafkaJsLogLevel>> = {
  nothing: KafkaJsLogLevel.NOTHING,
  error: KafkaJsLogLevel.ERROR,
  warn: KafkaJsLogLevel.WARN,
  info: KafkaJsLogLevel.INFO,
  debug: KafkaJsLogLevel.DEBUG,
};

const levelName = (level: KafkaJsLogLevel): Exclude<KafkaLogLevel, 'nothing'> =>
  level === KafkaJsLogLevel.ERROR ? 'error'
    : level === KafkaJsLogLevel.WARN ? 'warn'
      : level === KafkaJsLogLevel.INFO ? 'info'
        : 'debug';

/**
 * kafkajs namespaces whose errors are about one request or one connection attempt. kafkajs retries
 * those itself, and the operation that needed the connection fails with the same cause, which the
 * service then reports once (with the brokers). At error level they would print one line per retry
 * (kafkajs src/network/connection.js, src/cluster/brokerPool.js).
 */
const PER_ATTEMPT_NAMESPACES = new Set(['Connection', 'BrokerPool', 'RequestQueue']);

/**
 * Notices kafkajs prints once per client or producer that say nothing about this process's health:
 * - "Limiting retries for the idempotent producer may invalidate EoS guarantees" (src/producer/index.js):
 *   meshray's producers are idempotent with bounded retries on purpose (a dead broker must surface),
 *   and meshray uses no transactions (no EoS to invalidate).
 */
const KNOWN_NOTICES = [/^Limiting retries for the idempotent producer/];

/**
 * kafkajs's consumer crash lines ("Crash: …", "Restarting the consumer in …", src/consumer/index.js): the
 * same crash reaches the consumer's CRASH event, which meshray's consumers log themselves
 * (`consumerCrashLevel`), so kafkajs's copies go to debug.
 */
const CRASH_LINES = [/^Crash: /, /^Restarting the consumer in /];

/**
 * Kafka protocol errors a consumer group meets in normal operation, above all on a fresh broker or a
 * member joining: the group coordinator is still loading __consumer_offsets, moved, or is rebalancing
 * (Kafka protocol error codes 14-16 and 27, named as kafkajs's src/protocol/error.js names them; kafkajs
 * restarts the consumer after them).
 */
const TRANSIENT_GROUP_ERRORS = new Set([
  'GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP', 'REBALANCE_IN_PROGRESS',
]);

/**
 * The level of a consumer's CRASH event: info when kafkajs restarts it after a transient group error
 * (coordinator loading or moving, rebalance), warn when it restarts after anything else, error when it
 * does not restart (the consumer is then dead: liveness fails).
 */
export function consumerCrashLevel(error: unknown, restart: boolean): 'info' | 'warn' | 'error' {
  if (!restart) return 'error';
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && TRANSIENT_GROUP_ERRORS.has(type) ? 'info' : 'warn';
}

/**
 * The level a kafkajs log line gets in meshray's logs (pino). The rule: warn/error are for what an
 * operator must act on, and kafkajs logs at error many things it retries or that the caller reports:
 * - per-attempt connection and request errors → debug (the failing operation is reported once by us);
 * - consumer group rebalancing ("The group is rebalancing, re-joining", REBALANCE_IN_PROGRESS) → info:
 *   it happens on every member join, e.g. a second translator starting;
 * - the known one-time notices above, and the consumer's crash lines (reported through CRASH) → debug;
 * - anything else keeps kafkajs's level, except error → warn: kafkajs retries it (a consumer crash
 *   restarts the consumer, which the translator itself logs at error).
 */
export function pinoLevelOfKafkaLog(
  namespace: string,
  level: Exclude<KafkaLogLevel, 'nothing'>,
  message: string,
  error?: unknown,
): Exclude<KafkaLogLevel, 'nothing'> {
  if (level === 'debug' || level === 'info') return level;
  if (PER_ATTEMPT_NAMESPACES.has(namespace)) return 'debug';
  if (KNOWN_NOTICES.some((re) => re.test(message))) return 'debug';
  if (namespace === 'Consumer' && CRASH_LINES.some((re) => re.test(message))) return 'debug';
  const text = `${message} ${typeof error === 'string' ? error : ''}`;
  if (/rebalanc/i.test(text)) return 'info';
  return level === 'error' ? 'warn' : level;
}

/**
 * kafkajs's client with meshray's explicit producer defaults. The partitioner is named instead of left
 * to kafkajs's default, which settles kafkajs's "v2.0.0 switched default partitioner" notice: it is the
 * Java client's murmur2 partitioner (`Partitioners.DefaultPartitioner`), the one every meshray producer
 * has used, so a trace id's records land in the same partition whoever writes them.
 */
class MeshrayKafka extends Kafka {
  override producer(config?: ProducerConfig): Producer {
    return super.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  }
}

/** A kafkajs client. Only creating it does no I/O; producers, consumers and admins connect. */
export function createKafka(options: KafkaClientOptions): Kafka {
  if (options.brokers.length === 0) throw new Error('createKafka: no brokers');
  const { log } = options;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: LEVELS[options.logLevel ?? 'warn'],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    ...(options.ssl ? { ssl: true } : {}),
    ...(options.sasl ? { sasl: { ...options.sasl } as SASLOptions } : {}),
    ...(log === undefined
      ? {}
      : {
        logCreator: () => ({ namespace, level, log: entry }: LogEntry) => {
          const { message, timestamp: _timestamp, ...extra } = entry;
          log(pinoLevelOfKafkaLog(namespace, levelName(level), message, extra['error']), message, { namespace, ...extra });
        },
      }),
  };
  return new MeshrayKafka(config);
}

/**
 * The root cause of a kafkajs failure in one line, e.g. `Connection error: connect ECONNREFUSED
 * 127.0.0.1:9092`: kafkajs wraps it (KafkaJSNonRetriableError → KafkaJSNumberOfRetriesExceeded →
 * KafkaJSConnectionError) and the outer messages say only that retries ran out.
 */
export function describeKafkaError(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; depth < 8; depth++) {
    const next = (e as { originalError?: unknown; cause?: unknown } | null);
    const inner = next?.originalError ?? next?.cause;
    if (inner === undefined || inner === null || inner === e) break;
    e = inner;
  }
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s+/g, ' ').trim() || 'unknown error';
}

/** Parses a comma-separated broker list (`KAFKA_BROKERS=127.0.0.1:9092,b2:9092`). */
export function parseBrokers(list: string): string[] {
  return list.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
}

/**
 * Settles kafkajs's one Node ≥ 23 notice: its idle request queue arms a timer with a negative delay
 * (`throttledUntil - Date.now()` with `throttledUntil = -1`, kafkajs 2.2.4 src/network/requestQueue/index.js
 * `scheduleCheckPendingRequests`), which Node ≥ 23 reports once per process as a TimeoutNegativeWarning.
 * The delay is clamped to 1 ms as before, so nothing is wrong. Every other process warning is printed as
 * Node prints it (its own 'warning' listeners are kept and called). Call once, from a composition root.
 */
export function settleKafkaJsTimerNotice(target: NodeJS.Process = process): void {
  const printers = target.listeners('warning');
  if (printers.some((l) => (l as { meshrayKafkaFilter?: boolean }).meshrayKafkaFilter)) return;
  target.removeAllListeners('warning');
  const filter = Object.assign((warning: Error): void => {
    if (isKafkaJsTimerNotice(warning)) return;
    for (const print of printers) print.call(target, warning);
  }, { meshrayKafkaFilter: true });
  target.on('warning', filter);
}

/** True for the TimeoutNegativeWarning raised from kafkajs's request queue (and only that one). */
export function isKafkaJsTimerNotice(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? '');
}
