// Integration: the receiver against the REAL broker in KAFKA_BROKERS (scripts/run-tests.mjs starts one).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { SPAN_LIST_SCHEMA_FINGERPRINT } from '../../../../shared/core/avro/index.ts';
import { spanPartitionOf } from '../../../../shared/core/span-record/partition.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../shared/core/span-record/headers.ts';
import { decodeRecordSpans } from '../../../../shared/core/span-record/record.ts';
import { createKafka } from '../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { createLogger, silentLogger } from '../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../shared/edge/metrics/registry.ts';
import { traceIdLow64 } from '../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { buildApp } from '../../../../services/receiver/app.ts';
import { startReceiver } from '../../../../services/receiver/main.ts';
import { KafkaSpanPublisher, type KafkaSpanPublisherOptions } from '../../../../services/receiver/publish/kafka-span-publisher.ts';
import { MAX_SPAN_BYTES } from '../../../../services/receiver/publish/record-limits.ts';
import { readTopicToEnd } from '../../../support/read-topic.ts';
import { waitFor } from '../../../support/wait.ts';

const BROKERS = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/zipkin/${name}`, import.meta.url), 'utf8');
const bookinfo = fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json');
const bookinfoSpans = JSON.parse(bookinfo) as { traceId: string; id: string }[];
const kourierBodies = (JSON.parse(fixture('kourier-envoy-1.24-v2-posts.json')) as { traceId: string; id: string }[][]);
const uniqueTopic = (what: string) => `test.receiver.${what}.${randomUUID().slice(0, 8)}`;
const json = { 'content-type': 'application/json' };

interface ReadRecord { key: string; partition: number; span: Span; fingerprint: string | undefined }

/**
 * The spans of `topic`, one entry per span with its record's key, partition and schema, read to its end
 * offsets (the receiver answered 202 after Kafka acknowledged: they are there); collected first, then decoded
 * and checked here: an assertion inside kafkajs's eachMessage would only surface as a timeout.
 */
async function readTopic(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const records = await readTopicToEnd(kafka, topic, { minRecords: 1 });
  return records.flatMap((r) => {
    const decoded = decodeRecordSpans(r);
    assert.ok(decoded.ok, `${topic} ${r.partition}@${r.offset}: ${JSON.stringify(decoded)}`);
    return decoded.value.map((span) => ({ key: r.key ?? '', partition: r.partition, span, fingerprint: r.headers[SPAN_SCHEMA_HEADER] }));
  });
}

/** Spans readable on `topic` now (the records up to its end offsets, decoded). */
async function readableSpans(kafka: Kafka, topic: string): Promise<number> {
  return (await readTopic(kafka, topic)).length;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function assertTopicContents(records: ReadRecord[], expected: { traceId: string; id: string }[]) {
  assert.equal(records.length, expected.length);
  assert.deepEqual(records.map((r) => `${r.span.traceId}/${r.span.id}`).sort(), expected.map((s) => `${s.traceId}/${s.id}`).sort());
  for (const r of records) {
    assert.equal(r.key, '', 'span-list records carry no key');
    assert.equal(r.fingerprint, SPAN_LIST_SCHEMA_FINGERPRINT);
    assert.equal(r.partition, spanPartitionOf(r.span.traceId, 6), `trace ${traceIdLow64(r.span.traceId)} in the partition its id decides`);
  }
}

/** The receiver's composition root on `topic` (ACK_MODE=kafka, a free port), once it answers ready. */
async function readyReceiver(topic: string): Promise<{ receiver: Awaited<ReturnType<typeof startReceiver>>; base: string }> {
  const receiver = await startReceiver({
    KAFKA_BROKERS: BROKERS.join(','), SPANS_TOPIC: topic, RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent', ACK_MODE: 'kafka', SPANS_TOPIC_REPLICATION_FACTOR: '1',
  });
  const { port } = receiver.app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the receiver ready', 5000, async () => (await fetch(`${base}/health/ready`)).status === 200, { intervalMs: 100 });
  return { receiver, base };
}

describe('receiver → Kafka (real broker)', { timeout: 120_000 }, () => {
  let kafka: Kafka;
  before(() => {
    assert.ok(BROKERS.length > 0, 'KAFKA_BROKERS must be set (scripts/run-tests.mjs starts a broker)');
    kafka = createKafka({ brokers: BROKERS, clientId: 'receiver-test', logLevel: 'nothing' });
  });

  it('composition root: Bookinfo and kourier bodies over HTTP arrive keyed, Avro, one partition per trace', async () => {
    const topic = uniqueTopic('main');
    const { receiver, base } = await readyReceiver(topic);
    try {
      const res = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: bookinfo });
      assert.equal(res.status, 202);
      assert.equal(await res.text(), '');
      for (const body of kourierBodies) {
        const r = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: JSON.stringify(body) });
        assert.equal(r.status, 202);
      }
      const expected = [...bookinfoSpans, ...kourierBodies.flat()];
      assertTopicContents(await readTopic(kafka, topic), expected);
    } finally {
      await receiver.stop();
    }
    assert.equal(receiver.publisher.readinessProblem(), 'shutting down');
  });

  it('a 3 MB request of one trace is taken whole: cut into records under Kafka\'s 1 MB limit, sent in batches under it, never refused (it was: MESSAGE_TOO_LARGE)', async () => {
    const topic = uniqueTopic('large');
    const { receiver, base } = await readyReceiver(topic);
    try {
      const template = JSON.parse(bookinfo) as Record<string, unknown>[];
      const traceId = '5b8efff798038103d269b633813fc60c';
      const spans = Array.from({ length: 150 }, (_, i) => ({ ...template[i % template.length], traceId, id: (0x1000 + i).toString(16).padStart(16, '0'), tags: { 'http.url': `/${'x'.repeat(20_000)}` } }));
      const body = JSON.stringify(spans);
      assert.ok(body.length > 3_000_000);
      const res = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body });
      assert.equal(res.status, 202, await res.text());
      const records = await readTopic(kafka, topic);
      assert.deepEqual(records.map((r) => r.span.id).sort(), spans.map((s) => s.id).sort());
    } finally {
      await receiver.stop();
    }
  });

  for (const ackMode of ['kafka', 'buffer'] as const) {
    it(`ACK_MODE=${ackMode}: a span too large for any Kafka record has its longest values cut to fit; one that cannot fit is refused alone (202 naming it); its neighbours are written (it failed the request: 503 PUBLISH_FAILED)`, async () => {
      const topic = uniqueTopic(`huge-${ackMode}`);
      const receiver = await startReceiver({
        KAFKA_BROKERS: BROKERS.join(','), SPANS_TOPIC: topic, RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1',
        LOG_LEVEL: 'silent', ACK_MODE: ackMode, SPANS_TOPIC_REPLICATION_FACTOR: '1',
      });
      try {
        const { port } = receiver.app.server.address() as { port: number };
        const base = `http://127.0.0.1:${port}`;
        await waitFor('the receiver ready', 5000, async () => (await fetch(`${base}/health/ready`)).status === 200, { intervalMs: 100 });
        const template = JSON.parse(bookinfo) as Record<string, unknown>[];
        // a 1.1 MB tag value (the newcomer trial's case): cut, not refused
        const hugeTag = (i: number) => ({ ...template[i], tags: { 'http.url': `/${'x'.repeat(1_100_000)}`, 'http.method': 'GET' } });
        // 60,000 short annotations: no value to cut, still past any record
        const timestamp = (template[4] as { timestamp: number }).timestamp;
        const hugeAnnotations = (i: number) => ({ ...template[i], annotations: Array.from({ length: 60_000 }, (_, n) => ({ timestamp: timestamp + n, value: `event-${String(n).padStart(12, '0')}` })) });
        assert.ok(MAX_SPAN_BYTES < 1_100_000 && MAX_SPAN_BYTES > 1_000_000);
        // Two huge spans (one sharing its trace and partition with a small neighbour) among six good ones.
        const spans = [template[0], hugeTag(1), template[2], template[3], hugeAnnotations(4), template[5], template[6], template[7]];
        const res = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: JSON.stringify(spans) });
        const text = await res.text();
        assert.equal(res.status, 202, text);
        const refused = (JSON.parse(text) as { refused: { index: number; reason: string; message: string }[] }).refused;
        assert.deepEqual(refused.map((r) => [r.index, r.reason]), [[4, 'span_too_large']]);
        assert.match(refused[0]?.message ?? '', /spans\[4\]: is larger, encoded, than the 1047552 bytes/);
        const good = [0, 1, 2, 3, 5, 6, 7].map((i) => template[i] as { id: string });
        // ACK_MODE=buffer answered before Kafka had them: wait until the good spans are readable.
        await waitFor(`${good.length} spans on ${topic}`, 10_000, async () => (await readableSpans(kafka, topic)) >= good.length, { intervalMs: 100 });
        const records = await readTopic(kafka, topic);
        assert.deepEqual(records.map((r) => r.span.id).sort(), good.map((x) => x.id).sort());
        const cut = records.find((r) => r.span.id === (template[1] as { id: string }).id)?.span;
        assert.match(cut?.tags['http.url'] ?? '', /^\/x+…\[meshray cut \d+ characters: span over the Kafka record limit\]$/);
        assert.ok((cut?.tags['http.url']?.length ?? 0) > 1_000_000, 'cut no more than it must');
        assert.equal(cut?.tags['http.method'], 'GET', 'a short value is kept whole');
        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(metrics, /meshray_receiver_spans_repaired_total\{reason="span_trimmed"\} 1/);
        assert.match(metrics, /meshray_receiver_spans_refused_total\{reason="span_too_large"\} 1/);
      } finally {
        await receiver.stop();
      }
    });
  }

  it('an existing span topic with more partitions than SPANS_TOPIC_PARTITIONS (raised since) is used as it is: spans are keyed over its count', async () => {
    const topic = uniqueTopic('raised');
    await ensureTopics(kafka, [{ topic, numPartitions: 9, replicationFactor: 1 }]);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', service: 'receiver', destination: { write: (l: string) => { lines.push(l); } } });
    const receiver = await startReceiver({
      KAFKA_BROKERS: BROKERS.join(','), SPANS_TOPIC: topic, RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', ACK_MODE: 'kafka', SPANS_TOPIC_PARTITIONS: '6',
    }, logger);
    try {
      const { port } = receiver.app.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the receiver ready', 10_000, async () => (await fetch(`${base}/health/ready`)).status === 200, { intervalMs: 100 });
      const res = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: bookinfo });
      assert.equal(res.status, 202);
      const records = await readTopic(kafka, topic);
      assert.equal(records.length, bookinfoSpans.length);
      for (const r of records) assert.equal(r.partition, spanPartitionOf(r.span.traceId, 9));
      assert.ok(lines.some((l) => l.includes(`${topic} has 9 partitions, not SPANS_TOPIC_PARTITIONS=6`)), lines.join('\n'));
    } finally {
      await receiver.stop();
    }
  });

  it('the span topic watched: partitions raised while it runs are keyed over at once (it took a restart); the topic gone makes it unready, back makes it ready', async () => {
    const topic = uniqueTopic('watched');
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', service: 'receiver', destination: { write: (l: string) => { lines.push(l); } } });
    const receiver = await startReceiver({
      KAFKA_BROKERS: BROKERS.join(','), SPANS_TOPIC: topic, RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', ACK_MODE: 'kafka',
      SPANS_TOPIC_REPLICATION_FACTOR: '1', SPANS_TOPIC_PARTITIONS: '2', SPANS_TOPIC_CHECK_INTERVAL: '200ms',
    }, logger);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { port } = receiver.app.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      const ready = async () => (await fetch(`${base}/health/ready`)).status === 200;
      await waitFor('the receiver ready', 10_000, ready, { intervalMs: 100 });
      // a send before the raise: the producer holds the topic's metadata of 2 partitions
      assert.equal((await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: bookinfo })).status, 202);
      await admin.createPartitions({ topicPartitions: [{ topic, count: 6 }] });
      await waitFor('the raised count seen', 10_000, () => lines.some((l) => l.includes(`${topic} now has 6 partitions`)), { intervalMs: 50 });
      const template = JSON.parse(bookinfo) as Record<string, unknown>[];
      const traceIds = Array.from({ length: 24 }, (_, i) => createHash('md5').update(`trace ${i}`).digest('hex'));
      const spans = traceIds.map((traceId, i) => ({ ...template[i % template.length], traceId, id: (0x2000 + i).toString(16).padStart(16, '0') }));
      const res = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: JSON.stringify(spans) });
      assert.equal(res.status, 202, await res.text());
      const records = (await readTopic(kafka, topic)).filter((r) => traceIds.includes(r.span.traceId));
      assert.equal(records.length, spans.length);
      for (const r of records) assert.equal(r.partition, spanPartitionOf(r.span.traceId, 6), `trace ${r.span.traceId} keyed over the 6 partitions`);
      assert.ok(records.some((r) => r.partition >= 2), 'the new partitions are used');
      assert.match(await (await fetch(`${base}/metrics`)).text(), /meshray_receiver_publish_retries_total 0/, 'no send failed on the producer\'s old metadata');

      await admin.deleteTopics({ topics: [topic] });
      await waitFor('unready with the topic gone', 15_000, async () => !(await ready()), { intervalMs: 100 });
      // Kafka answers that it has no such topic: readiness says so (it said 'did not answer a metadata request')
      assert.match(await (await fetch(`${base}/health/ready`)).text(), new RegExp(`span topic ${topic.replace(/\./g, '\\.')} does not exist on the brokers \\(deleted\\?\\)`));
      // created again with fewer partitions (Kafka never lowers a count in place): keyed over the new count
      // (found by review: spans stayed keyed to partitions 3-5, and every POST was refused until a restart)
      await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
      await waitFor('ready again with the topic back', 15_000, ready, { intervalMs: 100 });
      await waitFor('the lower count seen', 10_000, () => lines.some((l) => l.includes(`${topic} now has 3 partitions (fewer`)), { intervalMs: 50 });
      const again = await fetch(`${base}/api/v2/spans`, { method: 'POST', headers: json, body: JSON.stringify(spans) });
      assert.equal(again.status, 202, await again.text());
      const recreated = (await readTopic(kafka, topic)).filter((r) => traceIds.includes(r.span.traceId));
      assert.equal(recreated.length, spans.length, 'every span once in the new topic');
      for (const r of recreated) assert.equal(r.partition, spanPartitionOf(r.span.traceId, 3), `trace ${r.span.traceId} keyed over the 3 partitions`);
    } finally {
      await admin.disconnect();
      await receiver.stop();
    }
  });

  describe('with a KafkaSpanPublisher on its own topic', () => {
    const publishers: KafkaSpanPublisher[] = [];
    const setup = async (options: Partial<KafkaSpanPublisherOptions> & { kafka?: Kafka; createTopic?: boolean } = {}) => {
      const topic = uniqueTopic('pub');
      if (options.createTopic !== false) await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
      const registry = createRegistry();
      const publisher = new KafkaSpanPublisher({
        kafka, topic, partitions: 6, ackMode: 'kafka', ackTimeoutMs: 5000, bufferMaxSpans: 10_000, lingerMs: 5, batchMaxMessages: 1000,
        drainTimeoutMs: 2000, logger: silentLogger(), registry, ...options,
      });
      publisher.start();
      publishers.push(publisher);
      const app = buildApp({
        config: { MAX_BODY_BYTES: 5 * 1024 * 1024, MAX_SPANS_PER_REQUEST: 10_000 }, publisher, logger: silentLogger(), registry,
        isReady: () => publisher.readinessProblem() ?? true,
      });
      return { topic, publisher, app, registry };
    };
    after(async () => { await Promise.all(publishers.map((p) => p.close())); });

    it('ACK_MODE=kafka answers 202 only once the records are readable', async () => {
      const { topic, app } = await setup({ ackMode: 'kafka', lingerMs: 20 });
      let expected = 0;
      for (const body of [bookinfo, ...kourierBodies.map((b) => JSON.stringify(b))]) {
        const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: body });
        assert.equal(res.statusCode, 202, res.body);
        expected += (JSON.parse(body) as unknown[]).length;
        assert.equal(await readableSpans(kafka, topic), expected);
      }
    });

    it('batches concurrent requests into fewer sendBatch calls than requests', async () => {
      const { topic, app, registry } = await setup({ ackMode: 'kafka', lingerMs: 100 });
      const requests = 20;
      const results = await Promise.all(Array.from({ length: requests }, () =>
        app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo })));
      assert.ok(results.every((r) => r.statusCode === 202));
      const batches = (await registry.getSingleMetric('meshray_receiver_publish_batch_spans')?.get())?.values
        .find((v) => (v as { metricName?: string }).metricName === 'meshray_receiver_publish_batch_spans_count')?.value ?? 0;
      assert.ok(batches >= 1 && batches < requests, `${batches} sendBatch calls for ${requests} requests`);
      const records = await readTopic(kafka, topic);
      assert.equal(records.length, requests * bookinfoSpans.length);
    });

    it('broker unreachable, ACK_MODE=kafka: 503 ACK_TIMEOUT within ACK_TIMEOUT', async () => {
      const dead = createKafka({ brokers: [`127.0.0.1:${await closedPort()}`], clientId: 'dead', logLevel: 'nothing', connectionTimeoutMs: 300, retry: { retries: 0 } });
      const { app, publisher } = await setup({ kafka: dead, createTopic: false, ackMode: 'kafka', ackTimeoutMs: 500, drainTimeoutMs: 200 });
      const started = Date.now();
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
      const tookMs = Date.now() - started;
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error, 'ACK_TIMEOUT');
      assert.equal(res.headers['retry-after'], '1');
      assert.ok(tookMs >= 450 && tookMs < 1500, `answered after ${tookMs} ms`);
      assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503);
      assert.equal(publisher.bufferedSpans, bookinfoSpans.length); // still queued, would still be sent
      const { droppedSpans } = await publisher.close();
      assert.equal(droppedSpans, bookinfoSpans.length);
    });

    it('broker unreachable, ACK_MODE=buffer: 202 until the buffer is full, then 503 BUFFER_FULL', async () => {
      const dead = createKafka({ brokers: [`127.0.0.1:${await closedPort()}`], clientId: 'dead', logLevel: 'nothing', connectionTimeoutMs: 300, retry: { retries: 0 } });
      const { app, publisher, registry } = await setup({
        kafka: dead, createTopic: false, ackMode: 'buffer', bufferMaxSpans: 2 * bookinfoSpans.length, drainTimeoutMs: 200,
      });
      for (let i = 0; i < 2; i++) {
        const ok = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
        assert.equal(ok.statusCode, 202);
      }
      const full = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: bookinfo });
      assert.equal(full.statusCode, 503);
      assert.equal(full.json().error, 'BUFFER_FULL');
      assert.equal(full.headers['retry-after'], '1');
      const { droppedSpans } = await publisher.close();
      assert.equal(droppedSpans, 2 * bookinfoSpans.length);
      const metrics = await registry.metrics();
      assert.match(metrics, new RegExp(`spans_dropped_total\\{reason="dropped_at_shutdown"\\} ${2 * bookinfoSpans.length}`));
    });
  });
});
