/**
 * The Kafka side of an integration or e2e test file: a client on KAFKA_BROKERS (scripts/run-tests.mjs starts
 * a broker and sets it), a producer and an admin connected before the file's tests and disconnected after
 * them, a temporary directory removed after them, and names no other run shares. Call it once, at the top
 * level of the test file (it registers node:test `before`/`after` hooks).
 */
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createKafka, parseBrokers } from '../../shared/edge/kafka/client.ts';
import { IDEMPOTENT } from './idempotent-producer.ts';

export interface KafkaTestClient {
  /** KAFKA_BROKERS as given (`host:port,...`). */
  readonly brokers: string;
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  /** A temporary directory of this file's own. */
  readonly dir: string;
  /** `it-<name>-<what>-<8 hex>`: a topic, group or key prefix no other run uses. */
  unique(what: string): string;
}

/** `name` names the file's client (`<name>-it`), its directory and its unique names. */
export function kafkaTestClient(name: string): KafkaTestClient {
  const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
  const kafka = createKafka({ brokers: parseBrokers(brokers), clientId: `${name}-it`, logLevel: 'nothing' });
  const producer = kafka.producer(IDEMPOTENT);
  const admin = kafka.admin();
  const dir = mkdtempSync(join(tmpdir(), `meshray-${name}-it-`));
  before(async () => {
    await producer.connect();
    await admin.connect();
  });
  after(async () => {
    await producer.disconnect();
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  return { brokers, kafka, producer, admin, dir, unique: (what) => `it-${name}-${what}-${randomUUID().slice(0, 8)}` };
}
