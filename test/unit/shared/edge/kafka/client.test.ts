import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import kafkajs from 'kafkajs';
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
import { consumerCrashLevel, createKafka, describeKafkaError, pinoLevelOfKafkaLog, settleKafkaJsTimerNotice, type KafkaLogLevel } from '../../../../../shared/edge/kafka/client.ts';

test('per-attempt connection and request errors go to debug: the failing operation is reported once', () => {
  assert.equal(pinoLevelOfKafkaLog('Connection', 'error', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('BrokerPool', 'error', 'Failed to connect to seed broker, trying another broker from the list'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('RequestQueue', 'warn', 'Response without match'), 'debug');
});

test('rebalancing is info: it happens whenever a member joins', () => {
  assert.equal(pinoLevelOfKafkaLog('Runner', 'warn', 'The group is rebalancing, re-joining', 'The group is rebalancing, so a rejoin is needed'), 'info');
  assert.equal(pinoLevelOfKafkaLog('ConsumerGroup', 'warn', 'The group is rebalancing, so a rejoin is needed, resync group'), 'info');
});

test('the idempotent producer notice is debug; other errors are warn (kafkajs retries them), warnings stay warn', () => {
  assert.equal(pinoLevelOfKafkaLog('Producer', 'warn', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'), 'debug');
  assert.equal(pinoLevelOfKafkaLog('Producer', 'error', 'Failed to send messages: Connection error'), 'warn');
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

test('kafkajs crash lines go to debug: the consumer reports its CRASH event itself', () => {
  assert.equal(pinoLevelOfKafkaLog('Consumer', 'error', "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group"), 'debug');
  assert.equal(pinoLevelOfKafkaLog('Consumer', 'error', 'Restarting the consumer in 300ms'), 'debug');
});

test('a consumer crash is info after a transient group error, warn after others, error when not restarted', () => {
  const loading = Object.assign(new Error("The coordinator is loading and hence can't process requests for this group"), { type: 'GROUP_LOAD_IN_PROGRESS', code: 14 });
  assert.equal(consumerCrashLevel(loading, true), 'info');
  assert.equal(consumerCrashLevel(Object.assign(new Error('x'), { type: 'NOT_COORDINATOR_FOR_GROUP' }), true), 'info');
  assert.equal(consumerCrashLevel(new Error('Connection error'), true), 'warn');
  assert.equal(consumerCrashLevel(loading, false), 'error');
});

test("kafkajs's negative-timer notice is settled; every other warning still reaches Node's printer", () => {
  const target = new EventEmitter();
  const printed: string[] = [];
  target.on('warning', (w: Error) => printed.push(`${w.name}: ${w.message}`));
  settleKafkaJsTimerNotice(target as unknown as NodeJS.Process);
  settleKafkaJsTimerNotice(target as unknown as NodeJS.Process); // idempotent: one filter
  const fromKafkaJs = Object.assign(new Error('-1795988171275 is a negative number.'), {
    name: 'TimeoutNegativeWarning',
    stack: 'TimeoutNegativeWarning: -1795988171275 is a negative number.\n    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)',
  });
  const elsewhere = Object.assign(new Error('-5 is a negative number.'), { name: 'TimeoutNegativeWarning', stack: 'TimeoutNegativeWarning\n    at mine (/app/services/x.ts:1:1)' });
  target.emit('warning', fromKafkaJs);
  target.emit('warning', elsewhere);
  target.emit('warning', Object.assign(new Error('deprecated'), { name: 'DeprecationWarning' }));
  assert.deepEqual(printed, ['TimeoutNegativeWarning: -5 is a negative number.', 'DeprecationWarning: deprecated']);
  assert.equal(target.listenerCount('warning'), 1);
});
