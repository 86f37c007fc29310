import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource } from '../../../../../services/cli/replay/source-flags.ts';
import type { RunningReceiver } from '../../../../../services/cli/running-receivers.ts';

const ALL = { all: true } as const;
const stack = (pid: number, brokers: string, spansTopic = 'meshray.spans', dlqTopic = 'meshray.spans.dlq'): RunningReceiver =>
  ({ pid, command: 'stack', receiver: 'http://127.0.0.1:9411', kafka: { brokers, spansTopic, dlqTopic } });
const start: RunningReceiver = { pid: 4242, command: 'start', receiver: 'http://127.0.0.1:9411' };

test('parseSource: --brokers, else KAFKA_BROKERS; the running stack is not consulted then', () => {
  const running = [stack(7, '127.0.0.1:40001')];
  const byFlag = parseSource({ ...ALL, brokers: 'k1:9092,k2:9092' }, { KAFKA_BROKERS: 'env:9092' }, running);
  assert.ok(byFlag.ok);
  assert.deepEqual(byFlag.value.brokers, ['k1:9092', 'k2:9092']);
  assert.equal(byFlag.value.note, undefined);
  const byEnv = parseSource(ALL, { KAFKA_BROKERS: 'env:9092' }, running);
  assert.ok(byEnv.ok);
  assert.deepEqual(byEnv.value.brokers, ['env:9092']);
  assert.equal(byEnv.value.topic, 'meshray.spans');
  assert.equal(byEnv.value.note, undefined);
});

test('parseSource: without --brokers or KAFKA_BROKERS, the one running meshray stack\'s Kafka and topics are read, and a note says so', () => {
  const running = [start, stack(7, '127.0.0.1:40001', 'spans.stack', 'dlq.stack')];
  const spans = parseSource(ALL, { KAFKA_BROKERS: '' }, running);
  assert.ok(spans.ok, JSON.stringify(spans));
  assert.deepEqual(spans.value.brokers, ['127.0.0.1:40001']);
  assert.equal(spans.value.topic, 'spans.stack');
  assert.equal(spans.value.note, 'reading the Kafka of meshray stack (pid 7) at 127.0.0.1:40001; --brokers chooses another');
  const dlq = parseSource({ ...ALL, dlq: true }, {}, running);
  assert.ok(dlq.ok);
  assert.equal(dlq.value.topic, 'dlq.stack');
  // a topic named by the flag or the variable still wins over the stack's
  const named = parseSource({ ...ALL, topic: 'mine' }, {}, running);
  assert.ok(named.ok);
  assert.equal(named.value.topic, 'mine');
  const byVariable = parseSource(ALL, { SPANS_TOPIC: 'from-env' }, running);
  assert.ok(byVariable.ok);
  assert.equal(byVariable.value.topic, 'from-env');
});

test('parseSource: the stack whose Kafka is read gives its export target too (replay exports as it does); another Kafka, none', () => {
  const running = [{ ...stack(7, '127.0.0.1:40001'), xray: { endpoint: 'http://127.0.0.1:40200', protocol: 'otlp' as const } }];
  const fromStack = parseSource(ALL, {}, running);
  assert.ok(fromStack.ok);
  assert.deepEqual(fromStack.value.stackXRay, { endpoint: 'http://127.0.0.1:40200', protocol: 'otlp', pid: 7 });
  const elsewhere = parseSource(ALL, { KAFKA_BROKERS: 'env:9092' }, running);
  assert.ok(elsewhere.ok);
  assert.equal(elsewhere.value.stackXRay, undefined);
});

test('parseSource: two running stacks are not guessed between; a running meshray start is named as having no Kafka', () => {
  const two = parseSource(ALL, {}, [stack(7, '127.0.0.1:40001'), stack(8, '127.0.0.1:40002')]);
  assert.ok(!two.ok);
  assert.deepEqual(two.errors, ['--brokers: 2 meshray stacks run on this machine (pid 7: 127.0.0.1:40001; pid 8: 127.0.0.1:40002): choose one with --brokers']);
  const onlyStart = parseSource(ALL, {}, [start]);
  assert.ok(!onlyStart.ok);
  assert.match(onlyStart.errors[0] ?? '', /^--brokers: no Kafka brokers \(give --brokers host:port or set KAFKA_BROKERS\); the running meshray start \(pid 4242\) has no Kafka/);
  const nothing = parseSource(ALL, {}, []);
  assert.ok(!nothing.ok);
  assert.deepEqual(nothing.errors, ['--brokers: no Kafka brokers (give --brokers host:port or set KAFKA_BROKERS)']);
});

test('parseSource: a stack whose Kafka needs TLS or SASL is read only with the same settings here (without them kafkajs only timed out)', () => {
  const secure: RunningReceiver = { ...stack(9, 'kafka.example:9093'), kafka: { brokers: 'kafka.example:9093', spansTopic: 'meshray.spans', dlqTopic: 'meshray.spans.dlq', ssl: true, saslMechanism: 'scram-sha-512' } };
  const bare = parseSource(ALL, {}, [secure]);
  assert.ok(!bare.ok);
  assert.deepEqual(bare.errors, ['--brokers: the running meshray stack (pid 9) reaches its Kafka at kafka.example:9093 with TLS and SASL scram-sha-512: set KAFKA_SSL=true and KAFKA_SASL_MECHANISM=scram-sha-512 with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD here too, or give --brokers']);
  const same = parseSource(ALL, { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, [secure]);
  assert.ok(same.ok, JSON.stringify(same));
  assert.deepEqual(same.value.brokers, ['kafka.example:9093']);
});

test('parseSource: an empty --brokers is refused, not replaced by a running stack\'s; a stack\'s brokers that are not host:port are named as its', () => {
  const empty = parseSource({ ...ALL, brokers: '' }, {}, [stack(7, '127.0.0.1:40001')]);
  assert.ok(!empty.ok);
  assert.deepEqual(empty.errors, ['--brokers: empty (give host:port,...)']);
  const odd = parseSource(ALL, {}, [stack(7, 'no-port-here')]);
  assert.ok(!odd.ok);
  assert.deepEqual(odd.errors, ['--brokers: the running meshray stack (pid 7) announced brokers "no-port-here", not host:port,...: give --brokers']);
});

test('parseSource: --brokers given as a URL says to drop the scheme, as KAFKA_BROKERS does (found by review)', () => {
  const url = parseSource({ ...ALL, brokers: 'http://127.0.0.1:9092' }, {}, []);
  assert.ok(!url.ok);
  assert.deepEqual(url.errors, ['--brokers: expected host:port,..., got "http://127.0.0.1:9092" (without a scheme: drop the "http://")']);
  const plain = parseSource({ ...ALL, brokers: 'nohost' }, {}, []);
  assert.ok(!plain.ok);
  assert.deepEqual(plain.errors, ['--brokers: expected host:port,..., got "nohost"']);
});
