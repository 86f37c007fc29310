import type { Kafka } from 'kafkajs';
import type { Logger } from '../log/index.ts';
import { createKafka, type KafkaClientOptions } from './client.ts';
import { KAFKA_BATCH_CHECKSUM } from './batch-checksum.ts';

/** Whether this process said already that kafkajs keeps its own checksum loop. */
let checksumNoted = false;

/** TLS and SASL keys of `kafkaEnv` (shared/edge/config/fragments.ts). */
export interface KafkaSecurityConfig {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD: string;
}

/** The Kafka keys every service shares (shared/edge/config/fragments.ts `kafkaEnv`). */
export interface KafkaEnvConfig extends KafkaSecurityConfig {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_CLIENT_ID: string;
}

/** createKafka's `ssl` and `sasl` from the validated KAFKA_SSL and KAFKA_SASL_* keys (services and CLI alike). */
export function kafkaSecurityOf(config: KafkaSecurityConfig): Pick<KafkaClientOptions, 'ssl' | 'sasl'> {
  return {
    ssl: config.KAFKA_SSL,
    ...(config.KAFKA_SASL_MECHANISM === 'none'
      ? {}
      : { sasl: { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD } }),
  };
}

/**
 * A kafkajs client from a service's validated config, logging through a `kafkajs` child logger.
 * `retry` overrides the client's retries, e.g. `{ retries: 2 }` for a start-up client whose caller
 * retries with its own backoff (kafkajs retries connecting with the client's settings, not an admin's).
 */
export function createKafkaFromConfig(config: KafkaEnvConfig, logger: Logger, overrides: Pick<KafkaClientOptions, 'retry'> = {}): Kafka {
  const kafkaLog = logger.child({ component: 'kafkajs' });
  if (!KAFKA_BATCH_CHECKSUM.native && !checksumNoted) {
    checksumNoted = true;
    kafkaLog.info({ reason: KAFKA_BATCH_CHECKSUM.reason }, 'kafkajs checksums the record batches it produces with its own JavaScript loop (about 1.4 µs of CPU per span more than the native CRC-32C; docs/sizing.md §38)');
  }
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    ...kafkaSecurityOf(config),
    ...overrides,
    log: (level, message, extra) => kafkaLog[level](extra, message),
  });
}
