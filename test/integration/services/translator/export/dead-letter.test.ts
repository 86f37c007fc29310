/**
 * KafkaDeadLetterSink against the real broker (Kafka's default `message.max.bytes`, 1,048,588 bytes per record
 * batch): a batch's letters that together pass the limit, to the default one-partition DLQ, were refused with
 * MESSAGE_TOO_LARGE on every redelivery (found by a review: 3,000 timestamp-less spans of one trace, or two
 * spans with 600 KB tags); the sink now cuts them into sends under the limit, and every letter is written.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafka, parseBrokers } from '../../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../../shared/edge/kafka/topics.ts';
import { DEAD_LETTER_HEADERS } from '../../../../../shared/core/span-record/headers.ts';
import { KafkaDeadLetterSink, MAX_LETTER_BYTES, type DeadLetter } from '../../../../../services/translator/export/dead-letter.ts';
import { MAX_SPAN_BYTES } from '../../../../../services/receiver/publish/record-limits.ts';
import { readTopicToEnd } from '../../../../support/read-topic.ts';
import { IDEMPOTENT } from '../../../../support/idempotent-producer.ts';

const kafka = createKafka({ brokers: parseBrokers(process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092'), clientId: 'it-dead-letter', logLevel: 'nothing', retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } });
const producer = kafka.producer(IDEMPOTENT);
after(async () => {
  await producer.disconnect();
});

// A letter keeps its span record's timestamp, and the broker's time retention (7 days) counts from it: a record
// dated 2023 here had its segment deleted by the retention check (every 5 min) in the middle of a test (CI, 213 of
// 3,002 letters gone). Records in these tests are dated now, as the receiver dates them.
const RECORD_TIME_MS = Date.now();

const letter = (offset: number, value: Buffer, key = 'trace-1'): DeadLetter => ({
  topic: 'spans',
  record: { partition: 0, offset: String(offset), key, value, headers: {}, timestampMs: RECORD_TIME_MS },
  code: 'SPAN_UNTRANSLATABLE',
  reason: 'invalid',
  attempts: 1,
  message: 'bad span',
});

test('letters that together pass the broker\'s record-batch limit are all written to a one-partition DLQ, in order', { timeout: 120_000 }, async () => {
  const topic = `it-dlq-large-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await producer.connect();
  const sink = new KafkaDeadLetterSink({ producer, topic });
  // Two spans with 600 KB tags and 3,000 small ones: 1.2 MB and 1.5 MB of letters to one partition.
  const large = [0, 1].map((i) => letter(i, Buffer.alloc(600 * 1024, 97 + i)));
  const small = Array.from({ length: 3000 }, (_, i) => letter(2 + i, Buffer.alloc(500, 48 + (i % 10))));
  await sink.send([...large, ...small]);
  const records = await readTopicToEnd(kafka, topic, { minRecords: 3002, timeoutMs: 60_000 });
  assert.equal(records.length, 3002, 'every letter written, once');
  assert.deepEqual(records.map((r) => r.headers[DEAD_LETTER_HEADERS.offset]), Array.from({ length: 3002 }, (_, i) => String(i)), 'in the order given');
  assert.equal(records[0]?.value.length, 600 * 1024);
  assert.ok(records[1]?.value.equals(large[1]?.record.value ?? Buffer.alloc(0)), 'the original value, byte for byte');
  assert.equal(records[3001]?.value.toString(), small[2999]?.record.value.toString());
});

test('the largest span a receiver publishes, dead-lettered with a long message, is written: the message header is cut to fit (the letter passed the broker\'s limit on every redelivery)', { timeout: 120_000 }, async () => {
  const topic = `it-dlq-largest-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await producer.connect();
  const sink = new KafkaDeadLetterSink({ producer, topic });
  const value = Buffer.alloc(MAX_SPAN_BYTES, 120);
  const long = { ...letter(7, value), message: 'é'.repeat(1000), record: { ...letter(7, value).record, headers: { 'meshray-schema': 'a1b2c3d4e5f60718' } } };
  const small = letter(8, Buffer.from('next'));
  await sink.send([long, small]);
  const records = await readTopicToEnd(kafka, topic, { minRecords: 2, timeoutMs: 60_000 });
  assert.equal(records.length, 2);
  assert.ok(records[0]?.value.equals(value), 'the span itself, whole');
  const message = records[0]?.headers[DEAD_LETTER_HEADERS.message] ?? '';
  assert.match(message, /^é+ \[cut\]$/, 'the message, cut at a character boundary and marked');
  assert.ok(message.length < 1000);
  assert.equal(records[0]?.headers['meshray-schema'], 'a1b2c3d4e5f60718', 'the other headers kept');
  assert.equal(records[1]?.headers[DEAD_LETTER_HEADERS.message], 'bad span', 'a letter that fits is not cut');
});

test('a record larger than any dead-letter record may be (only another producer writes one) is dead-lettered without its value, saying where it is: it was refused on every redelivery and its partition stalled', { timeout: 120_000 }, async () => {
  const topic = `it-dlq-oversize-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await producer.connect();
  const sink = new KafkaDeadLetterSink({ producer, topic });
  const huge = letter(41, Buffer.alloc(1536 * 1024, 122), 'foreign-key');
  const withHeaders = { ...huge, code: 'RECORD_UNDECODABLE' as const, reason: 'avro', message: 'not a meshray span record', record: { ...huge.record, headers: { 'content-type': 'application/octet-stream' } } };
  await sink.send([withHeaders, letter(42, Buffer.from('next'))]);
  const records = await readTopicToEnd(kafka, topic, { minRecords: 2, timeoutMs: 60_000 });
  assert.equal(records.length, 2);
  const [stub, next] = records;
  assert.equal(stub?.value.length, 0, 'no value');
  assert.equal(stub?.key, 'foreign-key');
  assert.equal(stub?.headers[DEAD_LETTER_HEADERS.valueOmittedBytes], String(1536 * 1024));
  assert.equal(stub?.headers[DEAD_LETTER_HEADERS.offset], '41');
  assert.equal(stub?.headers[DEAD_LETTER_HEADERS.reason], 'avro');
  assert.equal(stub?.headers['content-type'], 'application/octet-stream', 'the original headers kept');
  assert.equal(stub?.headers[DEAD_LETTER_HEADERS.message],
    `the record (${1536 * 1024} bytes) is larger than a dead-letter record may be (${MAX_LETTER_BYTES} bytes): its value is left out; read it at spans/0@41 while that topic retains it; not a meshray span record`);
  assert.equal(next?.value.toString(), 'next', 'the letter after it written whole');
  assert.equal(next?.headers[DEAD_LETTER_HEADERS.valueOmittedBytes], undefined);
});
