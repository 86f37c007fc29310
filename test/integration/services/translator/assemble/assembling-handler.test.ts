/**
 * The assembly window on the real broker: simulator traffic (every flavour, errors and faults), each
 * request's spans produced in two parts a moment apart, two translators with ASSEMBLY=on and PACKING=on, the
 * second joining mid-stream (a rebalance while traces are held). Ledger: every segment and subsegment the
 * unpacked translation of the same spans describes is in xray-local exactly once (embedded or sent on its
 * own), under one X-Ray trace id per trace; nothing else is there; nothing was dead-lettered.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { toSpanRecord } from '../../../../../shared/core/span-record/record.ts';
import { createKafka, parseBrokers } from '../../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../../shared/edge/kafka/topics.ts';
import { createLogger, silentLogger } from '../../../../../shared/edge/log/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { buildApp, type TranslatorApp } from '../../../../../services/translator/app.ts';
import { KafkaSpanSource } from '../../../../../services/translator/consume/kafka-span-source.ts';
import { RedisEpochStore } from '../../../../../services/translator/epochs/redis-epoch-store.ts';
import { InProcessDeadLetterSink } from '../../../../../services/translator/export/dead-letter.ts';
import { XRaySegmentSink } from '../../../../../services/translator/export/xray-segment-sink.ts';
import { ConsumerHealth } from '../../../../../services/translator/health.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS, FLAVOURS } from '../../../../../services/simulator/index.ts';
import { sleep, waitFor } from '../../../../support/wait.ts';
import { readEveryDocument, startXRayLocal, type XRayLocal } from '../../../../support/xray-local.ts';
import { IDEMPOTENT } from '../../../../support/idempotent-producer.ts';

const BROKERS = parseBrokers(process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const logger = process.env['DEBUG_IT'] ? createLogger({ level: 'info', service: 'it' }) : silentLogger();
const kafka: Kafka = createKafka({ brokers: BROKERS, clientId: 'assembly-it', logLevel: 'nothing' });
const producer = kafka.producer(IDEMPOTENT);
before(async () => { await producer.connect(); });
after(async () => { await producer.disconnect(); });

async function produce(topic: string, spans: readonly Span[]): Promise<void> {
  const messages = spans.map((s) => {
    const r = toSpanRecord(s, Date.now());
    return { key: r.key, value: r.value, headers: { ...r.headers } };
  });
  await producer.send({ topic, acks: -1, messages });
}

interface Instance { readonly dlq: InProcessDeadLetterSink; readonly registry: Registry; readonly app: TranslatorApp; stop(): Promise<void> }

async function startInstance(topic: string, groupId: string, xray: XRayLocal, redisPrefix: string): Promise<Instance> {
  const registry = new Registry();
  const metrics = createTranslatorMetrics(registry);
  const health = new ConsumerHealth({ stallTimeoutMs: 60_000, now: Date.now });
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await new Promise((resolve) => redis.once('ready', resolve));
  const dlq = new InProcessDeadLetterSink({ maxRecords: 1000 });
  const source = new KafkaSpanSource({
    kafka, groupId, topic, partitionsConcurrency: 3, logger, metrics, health,
    consumerConfig: { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
  });
  const app = buildApp({
    translatorConfig: { ...DEFAULT_TRANSLATOR_CONFIG, packing: true }, poisonMaxAttempts: 2, logger, registry, metrics, health, source,
    sink: new XRaySegmentSink({ client: xray.client, metrics, maxConcurrency: 4, maxRetries: 8, retryBaseMs: 50, retryMaxMs: 500 }),
    deadLetters: dlq, sharedEpochs: new RedisEpochStore({ redis, ttlMs: 60_000, keyPrefix: redisPrefix }),
    clock: Date.now, failurePauseMs: 100,
    assembly: { idleMs: 1500, maxAgeMs: 20_000, maxSpans: 100_000 },
  });
  await app.start();
  return { dlq, registry, app, stop: async () => { await app.stop(); redis.disconnect(); } };
}

/** id → how many times a segment or subsegment is described (embedded or on its own), and its X-Ray trace ids. */
function entitiesOf(documents: readonly { traceId: string; document: string }[]): { copies: Map<string, number>; traceIds: Map<string, Set<string>> } {
  const copies = new Map<string, number>();
  const traceIds = new Map<string, Set<string>>();
  const visit = (doc: { id?: string; subsegments?: unknown[] }, traceId: string): void => {
    const id = String(doc.id);
    copies.set(id, (copies.get(id) ?? 0) + 1);
    traceIds.set(id, new Set([...(traceIds.get(id) ?? []), traceId]));
    for (const sub of doc.subsegments ?? []) visit(sub as { id?: string; subsegments?: unknown[] }, traceId);
  };
  for (const d of documents) visit(JSON.parse(d.document) as { id?: string; subsegments?: unknown[] }, d.traceId);
  return { copies, traceIds };
}

test('two translators with an assembly window and a rebalance mid-stream: every span exported once, whole traces, no duplicates', { timeout: 120_000 }, async () => {
  const topic = `it-assembly-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
  const xray = await startXRayLocal();
  const prng = createPrng(13);
  const requests = [];
  for (let i = 0; i < 240; i += 1) {
    const flavour = FLAVOURS[i % FLAVOURS.length] ?? '1.7.4';
    requests.push(generateRequest(prng, Date.now() * 1000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, errorRate: 0.1, faultRate: 0.05 }).spans.map((s) => s.span));
  }
  const spans = requests.flat();
  const expected = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs: new MemoryEpochStore() });
  assert.deepEqual(expected.rejected, []);
  const expectedIds = new Set(expected.documents.map((d) => d.segmentId));

  const a = await startInstance(topic, `${topic}-group`, xray, `${topic}:`);
  let b: Instance | undefined;
  try {
    // Each request's spans in two parts, the second produced after the next requests' first parts.
    for (let wave = 0; wave < 4; wave += 1) {
      const inWave = requests.slice(wave * 60, (wave + 1) * 60);
      await produce(topic, inWave.flatMap((r) => r.slice(0, Math.ceil(r.length / 2))));
      await sleep(300); // spacing traffic in time (what the window must bridge), not synchronisation
      await produce(topic, inWave.flatMap((r) => r.slice(Math.ceil(r.length / 2))));
      if (wave === 1) b = await startInstance(topic, `${topic}-group`, xray, `${topic}:`); // rebalance while traces are held
    }
    let stored: { traceId: string; document: string }[] = [];
    await waitFor(`${expectedIds.size} segments and subsegments in xray-local`, 90_000, async () => {
      stored = await readEveryDocument(xray.client);
      const { copies } = entitiesOf(stored);
      return [...expectedIds].every((id) => copies.has(id));
    }, { intervalMs: 500, describe: () => `${entitiesOf(stored).copies.size} described so far` });
    const held = async (i: Instance | undefined): Promise<number> => ((await i?.registry.getSingleMetric('meshray_translator_assembly_spans')?.get())?.values[0]?.value ?? 0);
    await waitFor('both assembly windows empty', 30_000, async () => (await held(a)) + (await held(b)) === 0);
    stored = await readEveryDocument(xray.client);
    const { copies, traceIds } = entitiesOf(stored);
    const duplicated = [...copies].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(duplicated, [], 'no segment or subsegment described twice');
    assert.deepEqual([...copies.keys()].filter((id) => !expectedIds.has(id)), [], 'nothing that was not sent');
    assert.equal(copies.size, expectedIds.size);
    const byTrace = new Map<string, Set<string>>();
    for (const d of expected.documents) byTrace.set(d.traceId.slice(-16), new Set([...(byTrace.get(d.traceId.slice(-16)) ?? []), ...(traceIds.get(d.segmentId) ?? [])]));
    assert.deepEqual([...byTrace].filter(([, ids]) => ids.size !== 1).map(([k]) => k), [], 'one X-Ray trace id per trace');
    assert.deepEqual([...a.dlq.letters, ...(b?.dlq.letters ?? [])], []);
    const sum = async (i: Instance | undefined, name: string, labels: Record<string, string> = {}): Promise<number> => {
      const values = (await i?.registry.getSingleMetric(name)?.get())?.values ?? [];
      return values.filter((v) => Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l)).reduce((n, v) => n + v.value, 0);
    };
    const idle = (await sum(a, 'meshray_translator_assembly_flushed_traces_total', { reason: 'idle' })) + (await sum(b, 'meshray_translator_assembly_flushed_traces_total', { reason: 'idle' }));
    assert.ok(idle >= requests.length, `${idle} traces flushed idle: every trace went through a window`);
    assert.ok((await sum(b, 'meshray_translator_documents_exported_total')) > 0, 'the second translator took partitions over');
    assert.equal((await sum(a, 'meshray_translator_assembly_late_spans_total')) + (await sum(b, 'meshray_translator_assembly_late_spans_total')), 0, 'no trace was split by the window');
    assert.ok(stored.length < 0.75 * expected.documents.length, `${stored.length} documents for ${expected.documents.length} unpacked`);
  } finally {
    await b?.stop();
    await a.stop();
    await xray.close();
  }
});
