import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
const { KafkaJSConnectionError, KafkaJSNonRetriableError } = kafkajs;
import { createLogger } from '../../../../../shared/edge/log/index.ts';
import { untilKafkaAnswers } from '../../../../../shared/edge/kafka/until-kafka-answers.ts';
import { TopicAbsentError } from '../../../../../shared/edge/kafka/topics.ts';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  return { lines, logger: createLogger({ level: 'debug', service: 'test', destination }) };
}
const refused = () => new KafkaJSNonRetriableError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'));

test('retries with growing full-jitter delays, one warn line for the cause, info once Kafka answers', async () => {
  const { lines, logger } = capture();
  const delays: number[] = [];
  const problems: (string | undefined)[] = [];
  let calls = 0;
  const value = await untilKafkaAnswers(async () => {
    calls++;
    if (calls <= 4) throw refused();
    return 'ok';
  }, {
    brokers: ['127.0.0.1:1', '127.0.0.1:2'], what: 'span topic t', logger,
    onProblem: (p) => problems.push(p),
    policy: { baseMs: 100, maxMs: 250 },
    random: () => 0.99,
    sleep: async (ms) => { delays.push(ms); },
  });
  assert.equal(value, 'ok');
  assert.deepEqual(delays, [99, 198, 247, 247]);
  const warns = lines.filter((l) => l.level >= 40);
  assert.equal(warns.length, 1);
  assert.equal(warns[0]?.msg, 'Kafka unreachable at 127.0.0.1:1,127.0.0.1:2 (span topic t): Connection error: connect ECONNREFUSED 127.0.0.1:1; retrying with backoff');
  assert.equal(lines.filter((l) => l.level === 20).length, 3);
  assert.equal(lines.filter((l) => l.level === 30).length, 1);
  assert.deepEqual(problems, [...Array(4).fill('Kafka unreachable at 127.0.0.1:1,127.0.0.1:2: Connection error: connect ECONNREFUSED 127.0.0.1:1'), undefined]);
});

test('a permanent error is rethrown at once', async () => {
  const { logger } = capture();
  const wrong = new Error('topic has 3 partitions, expected 6');
  await assert.rejects(untilKafkaAnswers(async () => { throw wrong; }, {
    brokers: ['b:1'], what: 'x', logger, isPermanent: (e) => e === wrong, sleep: async () => undefined,
  }), wrong);
});

test('aborting wakes the backoff sleep and resolves with undefined', async () => {
  const { logger } = capture();
  const abort = new AbortController();
  let calls = 0;
  const value = await untilKafkaAnswers(async () => {
    calls++;
    throw refused();
  }, {
    brokers: ['b:1'], what: 'x', logger, signal: abort.signal, random: () => 0.5,
    onProblem: () => abort.abort(),
    sleep: () => new Promise<void>(() => undefined), // only the abort can end this wait
  });
  assert.equal(value, undefined);
  assert.equal(calls, 1);
});

test('an attempt that succeeds after the abort resolves with undefined', async () => {
  const { logger } = capture();
  const abort = new AbortController();
  const value = await untilKafkaAnswers(async () => { abort.abort(); return 'late'; }, { brokers: ['b:1'], what: 'x', logger, signal: abort.signal });
  assert.equal(value, undefined);
});

test('a topic another service creates and that does not exist yet: Kafka answers, so the line says what is awaited, not "unreachable"', async () => {
  const { lines, logger } = capture();
  const problems: (string | undefined)[] = [];
  let calls = 0;
  await untilKafkaAnswers(async () => {
    calls++;
    if (calls <= 2) throw new TopicAbsentError(['spans'], 'the receiver creates it');
  }, { brokers: ['k:9092'], what: 'span topic spans', logger, onProblem: (p) => problems.push(p), sleep: async () => {} });
  assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), [
    'Kafka at k:9092 answers, but topic spans does not exist yet (the receiver creates it); waiting for it, retrying with backoff',
  ]);
  assert.deepEqual(problems, [...Array(2).fill('Kafka at k:9092: topic spans does not exist yet (the receiver creates it)'), undefined]);
});
