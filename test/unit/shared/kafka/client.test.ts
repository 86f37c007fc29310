import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
import { createKafka, describeKafkaError, pinoLevelOfKafkaLog, type KafkaLogLevel } from '../../../../shared/kafka/client.ts';

test('per-attempt connection and request errors go to debug: the failing operation is reported once', () => {
  assert.equal(pinoLevelOfKafkaLog('Connection', 'error', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('BrokerPool', 'error', 'Failed to connect to seed broker, trying another broker from the list'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('RequestQueue', 'warn', 'Response without match'), 'debug');
});

test('rebalancing is info: it happens whenever a member joins', () => {
  assert.equal(pinoLevelOfKafkaLog('Runner', 'warn', 'The group is rebalancing, re-joining', 'The group is rebalancing, so a rejoin is needed'), 'info');
  assert.equal(pinoLevelOfKafkaLog('Consumer', 'error', 'Crash: KafkaJSProtocolError: The group is rebalancing, so a rejoin is needed'), 'info');
});

test('the idempotent producer notice is debug; other errors are warn (kafkajs retries them), warnings stay warn', () => {
  assert.equal(pinoLevelOfKafkaLog('Producer', 'warn', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('Consumer', 'error', 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error'), 'warn');
  assert.equal(pinoLevelOfKafkaLog('Admin', 'warn', 'Could not create topics'), 'warn');
  assert.equal(pinoLevelOfKafkaLog('Consumer', 'info', 'Starting'), 'info');
});

test('creating producers logs nothing at warn or error (partitioner named, known notices settled)', () => {
  const lines: { level: KafkaLogLevel; message: string }[] = [];
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 't', log: (level, message) => lines.push({ level, message }) });
  kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  kafka.producer();
  assert.ok(lines.length > 0, 'the idempotent producer notice was passed on (at debug)');
  assert.deepEqual(lines.filter((l) => l.level === 'warn' || l.level === 'error'), []);
});

test('describeKafkaError names the root cause under kafkajs wrappers', () => {
  const root = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  const retries = new KafkaJSNumberOfRetriesExceeded(root, { retryCount: 2, retryTime: 600 });
  const outer = new KafkaJSNonRetriableError(retries);
  assert.equal(describeKafkaError(outer), 'Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  assert.equal(describeKafkaError(new Error('plain\n  text')), 'plain text');
  assert.equal(describeKafkaError('x'), 'x');
});
