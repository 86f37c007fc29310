import { Kafka, logLevel as KafkaJsLogLevel } from 'kafkajs';
import type { LogEntry, RetryOptions, SASLOptions } from 'kafkajs';

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

/** A kafkajs client. Only creating it does no I/O; producers, consumers and admins connect. */
export function createKafka(options: KafkaClientOptions): Kafka {
  if (options.brokers.length === 0) throw new Error('createKafka: no brokers');
  const { log } = options;
  return new Kafka({
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
          log(levelName(level), message, { namespace, ...extra });
        },
      }),
  });
}

/** Parses a comma-separated broker list (`KAFKA_BROKERS=127.0.0.1:9092,b2:9092`). */
export function parseBrokers(list: string): string[] {
  return list.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
}
