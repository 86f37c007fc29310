/**
 * Issue 13, acceptance 2, on the real broker and real Redis: two translators with ASSEMBLY=on and
 * SAMPLING=on share a budget of 200 segments/s through Redis (XRAY_SEGMENTS_PER_SECOND=200, PACKING=off so a
 * span is a segment) while ~1,000 spans/s of simulator traffic with a 5 % error rate arrive for 35 s.
 * xray-local's own per-10-second counter is the judge. Ledger: every span is kept or sampled out by a named
 * policy, what is kept is in xray-local exactly once, every trace whole or not at all, every error trace in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { spanRecordKeyOf, toSpanRecord } from '../../../../../shared/core/span-record/record.ts';
import { createKafka, parseBrokers } from '../../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../../shared/edge/kafka/topics.ts';
import { createLogger, silentLogger } from '../../../../../shared/edge/log/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import { KEEP_NOTHING, keepPolicyOf, traceFactsOf } from '../../../../../shared/core/sampling/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { buildApp, type TranslatorApp } from '../../../../../services/translator/app.ts';
import { KafkaSpanSource } from '../../../../../services/translator/consume/kafka-span-source.ts';
import { FAIL_FAST_REDIS_OPTIONS, RedisEpochStore } from '../../../../../services/translator/epochs/redis-epoch-store.ts';
import { InProcessDeadLetterSink } from '../../../../../services/translator/export/dead-letter.ts';
import { XRaySegmentSink } from '../../../../../services/translator/export/xray-segment-sink.ts';
import { ConsumerHealth } from '../../../../../services/translator/health.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { createTraceSampler } from '../../../../../services/translator/sample/create-sampler.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS } from '../../../../../services/simulator/index.ts';
import { sleep, waitFor } from '../../../../support/wait.ts';
import { counterValue, readAllDocuments, startXRayLocal, type XRayLocal } from '../../../../support/xray-local.ts';

const BROKERS = parseBrokers(process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const logger = process.env['DEBUG_IT'] ? createLogger({ level: 'info', service: 'it' }) : silentLogger();
const kafka: Kafka = createKafka({ brokers: BROKERS, clientId: 'sampling-it', logLevel: 'nothing' });
const producer = kafka.producer();
before(async () => { await producer.connect(); });
after(async () => { await producer.disconnect(); });

const LIMIT_PER_SECOND = 200;
/** Trace key → span records each sampler call kept, with the flush reasons: names the traces when the ledger does not close. */
const keptByTrace = new Map<string, { records: number; reasons: string[] }>();
const SPANS_PER_SECOND = 1000;
const TRAFFIC_MS = 35_000;

interface Instance { readonly dlq: InProcessDeadLetterSink; readonly registry: Registry; stop(): Promise<void> }

async function startInstance(topic: string, xray: XRayLocal, prefix: string): Promise<Instance> {
  const registry = new Registry();
  const metrics = createTranslatorMetrics(registry);
  const health = new ConsumerHealth({ stallTimeoutMs: 60_000, now: Date.now });
  const redis = new Redis(REDIS_URL, FAIL_FAST_REDIS_OPTIONS);
  redis.on('error', () => {});
  await new Promise((resolve) => redis.once('ready', resolve));
  const dlq = new InProcessDeadLetterSink({ maxRecords: 1000 });
  const source = new KafkaSpanSource({
    kafka, groupId: `${topic}-group`, topic, partitionsConcurrency: 3, logger, metrics, health,
    consumerConfig: { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
  });
  const sampler = createTraceSampler({
    slowMs: 10_000, keep: '', limitPerSecond: LIMIT_PER_SECOND, protocol: 'segments', decisionTtlMs: 120_000, maxDecisions: 100_000, keyPrefix: `${prefix}budget:`,
  }, { redis, registry, clock: Date.now });
  // Observes the sampler's answers (passed through unchanged): which traces were kept, in which flushes.
  const sample = sampler.sample.bind(sampler);
  sampler.sample = async (due) => {
    const sampled = await sample(due);
    for (const d of sampled.keep) {
      const k = keptByTrace.get(d.key) ?? { records: 0, reasons: [] };
      keptByTrace.set(d.key, { records: k.records + d.records.length, reasons: [...k.reasons, d.reason] });
    }
    return sampled;
  };
  const app: TranslatorApp = buildApp({
    translatorConfig: DEFAULT_TRANSLATOR_CONFIG, poisonMaxAttempts: 2, logger, registry, metrics, health, source,
    sink: new XRaySegmentSink({ client: xray.client, metrics, maxConcurrency: 4, maxRetries: 8, retryBaseMs: 50, retryMaxMs: 500 }),
    deadLetters: dlq, sharedEpochs: new RedisEpochStore({ redis, ttlMs: 60_000, keyPrefix: `${prefix}epoch:` }),
    clock: Date.now, failurePauseMs: 100,
    assembly: { idleMs: 1500, maxAgeMs: 20_000, maxSpans: 100_000 },
    sampler,
  });
  await app.start();
  return { dlq, registry, stop: async () => { await app.stop(); redis.disconnect(); } };
}

/** The sum of every sample of `name` matching `labels`, over the instances' registries. */
async function sum(instances: readonly Instance[], name: string, labels: Record<string, string> = {}): Promise<number> {
  let n = 0;
  for (const i of instances) {
    const values = (await i.registry.getSingleMetric(name)?.get())?.values ?? [];
    n += values.filter((v) => Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l)).reduce((m, v) => m + v.value, 0);
  }
  return n;
}

test('2 translators, a shared budget of 200 segments/s, 1,000 spans/s with 5 % errors: every error trace in, ≤ 200/s per 10-second window, whole traces, ledger closes', { timeout: 180_000 }, async () => {
  const topic = `it-sampling-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
  // X-Ray's throttle emulated at twice the budget: a budget that overshoots in bursts is caught here too.
  const xray = await startXRayLocal({ throttleSegmentsPerSecond: 2 * LIMIT_PER_SECOND });
  const startedAt = new Date(Date.now() - 60_000);
  const prng = createPrng(1313);
  const instances = [await startInstance(topic, xray, `${topic}:`), await startInstance(topic, xray, `${topic}:`)];
  const traces = new Map<string, Span[]>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Both members own their partitions before the traffic: this test is about the budget, not a rebalance.
    await waitFor('the group stable with both translators', 60_000, async () => {
      const { groups } = await admin.describeGroups([`${topic}-group`]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
    });
    // ~1,000 spans/s in ticks of 100 ms, each request's spans together (the window still assembles them).
    const began = Date.now();
    let request = 0;
    for (let tick = 0; Date.now() - began < TRAFFIC_MS; tick += 1) {
      const spans: Span[] = [];
      while (spans.length < SPANS_PER_SECOND / 10) {
        const r = generateRequest(prng, Date.now() * 1000, request++, { ...DEFAULT_GENERATE_OPTIONS, flavour: '1.7.4', errorRate: 0.05 }).spans.map((s) => s.span);
        traces.set(spanRecordKeyOf(r[0]?.traceId ?? ''), r);
        spans.push(...r);
      }
      await producer.send({ topic, acks: -1, messages: spans.map((s) => { const rec = toSpanRecord(s, Date.now()); return { key: rec.key, value: rec.value, headers: { ...rec.headers } }; }) });
      const next = began + (tick + 1) * 100;
      if (next > Date.now()) await sleep(next - Date.now()); // pacing the traffic, not synchronisation
    }
    const sent = [...traces.values()].reduce((n, t) => n + t.length, 0);
    const elapsedS = (Date.now() - began) / 1000;

    // Lag bounded: every record committed soon after the traffic stops.
    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor('every partition committed to its end', 60_000, async () => {
      const [committed] = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
      return ends.every((e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.offset);
    });

    const decided = await sum(instances, 'meshray_translator_sampling_spans_total');
    const kept = await sum(instances, 'meshray_translator_sampling_spans_total', { decision: 'kept' });
    const out = await sum(instances, 'meshray_translator_sampling_spans_total', { decision: 'sampled_out' });
    const outAdaptive = await sum(instances, 'meshray_translator_sampling_spans_total', { decision: 'sampled_out', policy: 'adaptive' });
    assert.equal(decided, sent, `every span decided once (${sent} sent in ${elapsedS.toFixed(1)} s)`);
    assert.equal(out, outAdaptive, 'only the adaptive policy samples out');
    assert.ok(out > 0, 'the budget sampled something out');
    assert.deepEqual([...instances[0]?.dlq.letters ?? [], ...instances[1]?.dlq.letters ?? []], [], 'nothing dead-lettered');

    const stored = await readAllDocuments(xray.client, startedAt, new Date(Date.now() + 60_000));
    const storedIds = new Set(stored.map((d) => (JSON.parse(d.document) as { id: string }).id));
    assert.equal(stored.length, storedIds.size);
    assert.deepEqual([...xray.received].filter(([, n]) => n > 1), [], 'no document sent twice');

    let errorTraces = 0;
    let keptSpans = 0;
    let keptDocuments = 0;
    const partial: string[] = [];
    const keptNotWhole: string[] = [];
    const missingErrors: string[] = [];
    for (const [key, spans] of traces) {
      const ids = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs: new MemoryEpochStore() }).documents.map((d) => d.segmentId);
      const inXray = ids.filter((id) => storedIds.has(id)).length;
      if (inXray !== 0 && inXray !== ids.length) partial.push(key);
      if (ids.length > 0 && inXray === ids.length) {
        keptSpans += spans.length;
        keptDocuments += ids.length;
      } else if (keptByTrace.has(key)) {
        const k = keptByTrace.get(key);
        keptNotWhole.push(`${key}: ${spans.length} spans, kept ${k?.records} records (${k?.reasons.join(', ')}), ${inXray} of ${ids.length} documents stored, ${ids.filter((id) => xray.received.has(id)).length} received`);
      }
      if (keepPolicyOf(traceFactsOf(spans), { slowMs: 10_000, keep: KEEP_NOTHING }) === 'error') {
        errorTraces += 1;
        if (inXray !== ids.length) missingErrors.push(key);
      }
    }
    assert.ok(errorTraces > 0.03 * traces.size, `${errorTraces} error traces of ${traces.size}`);
    assert.deepEqual(partial, [], 'no trace partly exported');
    assert.deepEqual(missingErrors, [], `all ${errorTraces} error traces in xray-local`);
    assert.equal(keptSpans, kept, `the spans counted kept are those of the traces in xray-local; kept, not whole there: ${keptNotWhole.join('; ')}`);
    assert.equal(keptDocuments, storedIds.size, 'xray-local holds the documents of those traces and nothing else');

    const maxPerWindow = await counterValue(xray.registry, 'meshray_xray_local_segments_accepted_max_per_window');
    const throttled = await counterValue(xray.registry, 'meshray_xray_local_segments_throttled_total') + await counterValue(xray.registry, 'meshray_xray_local_calls_throttled_total');
    process.stdout.write(`# sampling: ${sent} spans in ${elapsedS.toFixed(1)} s, ${traces.size} traces (${errorTraces} with errors), kept ${kept}, sampled out ${out}, max ${maxPerWindow} segments in a 10 s window, throttled ${throttled}\n`);
    assert.ok(maxPerWindow <= 10 * LIMIT_PER_SECOND, `${maxPerWindow} segments in one 10-second window (limit ${10 * LIMIT_PER_SECOND})`);
    assert.ok(maxPerWindow >= 5 * LIMIT_PER_SECOND, `${maxPerWindow} in the fullest 10-second window: the budget is used, not starved`);
    assert.equal(throttled, 0, 'xray-local throttled nothing');
    assert.equal(await sum(instances, 'meshray_translator_throttles_total'), 0, 'no throttling seen by the translators');
    assert.equal(await sum(instances, 'meshray_translator_sampling_budget_fallbacks_total'), 0, 'Redis answered every budget request');
  } finally {
    await admin.disconnect();
    for (const i of instances.reverse()) await i.stop();
    await xray.close();
  }
});
