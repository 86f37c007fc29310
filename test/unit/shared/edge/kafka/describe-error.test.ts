import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { describeTopicError, kafkaErrorTypeOf, kafkaErrorTypesOf } from '../../../../../shared/edge/kafka/describe-error.ts';

// kafkajs's error classes are on its CommonJS exports object only (not named ESM exports)
const { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

// kafkajs's own error classes, as its protocol layer builds them (src/protocol/error.js: type, code, retriable)
const unknownTopic = (): Error => new KafkaJSProtocolError({
  type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition',
} as unknown as Error);

test('a deleted topic is recognised by its Kafka error type, bare or wrapped by kafkajs\'s retries', () => {
  assert.equal(kafkaErrorTypeOf(unknownTopic()), 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(kafkaErrorTypeOf(new KafkaJSNumberOfRetriesExceeded(unknownTopic(), { retryCount: 5, retryTime: 100 })), 'UNKNOWN_TOPIC_OR_PARTITION');
  // as kafkajs's retrier wraps the last error (src/retry/index.js: { cause: e.cause || e })
  const wrapped = unknownTopic();
  assert.equal(kafkaErrorTypeOf(new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(wrapped, { cause: wrapped })), 'UNKNOWN_TOPIC_OR_PARTITION');
  for (const e of [new KafkaJSNumberOfRetriesExceeded(unknownTopic(), { retryCount: 5, retryTime: 100 }), unknownTopic()]) {
    assert.match(describeTopicError(e, 'meshray.spans'), /^topic meshray\.spans does not exist on the brokers \(deleted\?\): create it again/);
  }
});

test('any other error keeps its own message; a non-error is stringified', () => {
  const e = new KafkaJSNonRetriableError(new Error('Connection timeout'));
  assert.equal(kafkaErrorTypeOf(e), undefined);
  assert.equal(describeTopicError(e, 't'), e.message);
  assert.equal(describeTopicError('boom', 't'), 'boom');
});

test('kafkaErrorTypesOf finds every Kafka error type, outermost first: through cause, originalError and an aggregate\'s errors', () => {
  const tooLarge = new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'too large' } as unknown as Error);
  const aggregate = Object.assign(new Error('2 errors'), { errors: [unknownTopic(), new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(tooLarge, { cause: tooLarge })] });
  assert.deepEqual(kafkaErrorTypesOf(new KafkaJSNumberOfRetriesExceeded(aggregate, { retryCount: 1, retryTime: 10 })), ['UNKNOWN_TOPIC_OR_PARTITION', 'MESSAGE_TOO_LARGE']);
  assert.deepEqual(kafkaErrorTypesOf(new Error('plain')), []);
  assert.deepEqual(kafkaErrorTypesOf(undefined), []);
});
