import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { decodeSpan, encodeSpan, SPAN_SCHEMA_FINGERPRINT } from '../../../../../shared/core/avro/index.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../../shared/core/span-record/headers.ts';
import { createKafka, parseBrokers } from '../../../../../shared/edge/kafka/client.ts';
import { ensureTopics, TopicMismatchError } from '../../../../../shared/edge/kafka/topics.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const brokersEnv = process.env['KAFKA_BROKERS'];
if (!brokersEnv) throw new Error('KAFKA_BROKERS is not set (run through scripts/run-tests.mjs, which starts a broker)');
const brokers = parseBrokers(brokersEnv);
const kafkaLogs: string[] = [];
const kafka = createKafka({
  brokers,
  clientId: 'meshray-integration',
  logLevel: 'error',
  log: (level, message, extra) => { kafkaLogs.push(`${level} ${message} ${JSON.stringify(extra)}`); },
});

const hex = (bytes: number) => randomUUID().replaceAll('-', '').slice(0, bytes * 2);

test('Avro spans keyed by trace id: idempotent produce, consumer group with eachBatch', { timeout: 120_000 }, async () => {
  const topic = `meshray-it-spans-${randomUUID()}`;
  const spec = { topic, numPartitions: 6, replicationFactor: 1, configs: { 'retention.ms': '3600000' } };
  assert.deepEqual(await ensureTopics(kafka, [spec]), { created: [topic], existing: [], partitions: new Map([[topic, 6]]) });
  assert.deepEqual(await ensureTopics(kafka, [spec]), { created: [], existing: [topic], partitions: new Map([[topic, 6]]) }, 'idempotent');
  await assert.rejects(ensureTopics(kafka, [{ ...spec, numPartitions: 3 }]), TopicMismatchError);

  // 40 traces x 5 spans, half with 128-bit ids.
  const spans: Span[] = [];
  for (let t = 0; t < 40; t++) {
    const traceId = t % 2 === 0 ? hex(16) : hex(8);
    for (let s = 0; s < 5; s++) {
      spans.push({
        traceId,
        id: hex(8),
        kind: s === 0 ? 'SERVER' : 'CLIENT',
        name: `op-${s}`,
        timestampMicros: 1_763_000_000_000_000 + t * 1000 + s,
        durationMicros: 100 + s,
        annotations: [],
        tags: { 'http.status_code': '200', 'test.index': String(s) },
        localEndpoint: { serviceName: `svc-${s}` },
      });
    }
  }

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner, // murmur2, same as the Java client
  });
  await producer.connect();
  try {
    for (let i = 0; i < spans.length; i += 50) {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: spans.slice(i, i + 50).map((span) => ({
          key: span.traceId,
          value: encodeSpan(span),
          headers: { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT },
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }

  const consumer = kafka.consumer({ groupId: `meshray-it-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const received: { partition: number; key: string; span: Span }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat }) => {
          for (const message of batch.messages) {
            const header = message.headers?.[SPAN_SCHEMA_HEADER];
            const fingerprint = Buffer.isBuffer(header) ? header.toString('utf8') : undefined;
            const decoded = decodeSpan(message.value ?? new Uint8Array(0), fingerprint);
            if (!decoded.ok) {
              reject(new Error(`undecodable record at ${batch.partition}/${message.offset}: ${JSON.stringify(decoded.issues)}`));
              return;
            }
            received.push({ partition: batch.partition, key: message.key?.toString('utf8') ?? '', span: decoded.value });
          }
          await heartbeat();
          if (received.length >= spans.length) resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }

  assert.equal(received.length, spans.length);
  const byId = new Map(received.map((r) => [r.span.id, r]));
  for (const span of spans) assert.deepEqual(byId.get(span.id)?.span, span);
  const partitionsByTrace = new Map<string, Set<number>>();
  for (const r of received) {
    assert.equal(r.key, r.span.traceId);
    const set = partitionsByTrace.get(r.key) ?? new Set<number>();
    set.add(r.partition);
    partitionsByTrace.set(r.key, set);
  }
  for (const [traceId, partitions] of partitionsByTrace) assert.equal(partitions.size, 1, `trace ${traceId} spread over ${[...partitions].join(',')}`);
  assert.ok(new Set(received.map((r) => r.partition)).size > 1, 'keys spread over several partitions');

  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  assert.deepEqual(kafkaLogs.filter((l) => l.startsWith('error') && !/coordinator|not available|loading/i.test(l)), []);
});

test('the tests\' broker refuses a record dated more than 6 days back (scripts/run-tests.mjs: its 7-day retention deleted such records mid-test)', {
  timeout: 60_000, skip: process.env['MESHRAY_TEST_BROKER_GUARD'] === 'on' ? false : 'KAFKA_BROKERS names a broker scripts/run-tests.mjs did not start: its settings are its own',
}, async () => {
  const topic = `meshray-it-dated-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  try {
    await assert.rejects(
      producer.send({ topic, acks: -1, messages: [{ value: 'x', timestamp: String(Date.now() - 7 * 24 * 3600 * 1000) }] }),
      (e: Error & { type?: string }) => e.type === 'INVALID_TIMESTAMP',
    );
    const [answer] = await producer.send({ topic, acks: -1, messages: [{ value: 'x', timestamp: String(Date.now() - 3600 * 1000) }] });
    assert.equal(answer?.errorCode, 0, 'an hour back is taken');
  } finally {
    await producer.disconnect();
  }
});
