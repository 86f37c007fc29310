// Unit level: the batching, acknowledgement and shutdown logic against a scripted producer.
// The real broker is exercised in test/integration/services/receiver.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, Message } from 'kafkajs';
import { isMeshrayError } from '../../../../../shared/errors/index.ts';
import { silentLogger } from '../../../../../shared/log/index.ts';
import { createRegistry } from '../../../../../shared/metrics/registry.ts';
import type { Span } from '../../../../../shared/zipkin/span.ts';
import { KafkaSpanPublisher, type KafkaSpanPublisherOptions } from '../../../../../services/receiver/publish/kafka-span-publisher.ts';

type SendBehaviour = (messages: Message[]) => Promise<void>;

class ScriptedProducer {
  readonly events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };
  readonly batches: Message[][] = [];
  readonly config: unknown[] = [];
  behaviour: SendBehaviour = async () => {};
  private listeners = new Map<string, () => void>();
  on(event: string, fn: () => void) { this.listeners.set(event, fn); return () => {}; }
  async connect() { this.listeners.get(this.events.CONNECT)?.(); }
  async disconnect() { this.listeners.get(this.events.DISCONNECT)?.(); }
  async sendBatch(req: { acks: number; topicMessages: { topic: string; messages: Message[] }[] }) {
    assert.equal(req.acks, -1);
    const messages = req.topicMessages[0]?.messages ?? [];
    await this.behaviour(messages);
    this.batches.push(messages);
  }
}

const span = (i: number): Span => ({
  traceId: `463ac35c9f6413ad48485a3953bb${(6000 + i).toString(16).padStart(4, '0')}`,
  id: (0x1000 + i).toString(16).padStart(16, '0'),
  annotations: [],
  tags: { i: String(i) },
});
const spans = (n: number, from = 0) => Array.from({ length: n }, (_, i) => span(from + i));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(overrides: Partial<KafkaSpanPublisherOptions> = {}) {
  const producer = new ScriptedProducer();
  const kafka = { producer: (cfg: unknown) => { producer.config.push(cfg); return producer; } } as unknown as Kafka;
  const registry = createRegistry();
  const publisher = new KafkaSpanPublisher({
    kafka, topic: 't', ackMode: 'kafka', ackTimeoutMs: 1000, bufferMaxSpans: 100, lingerMs: 20,
    batchMaxMessages: 50, drainTimeoutMs: 500, logger: silentLogger(), registry, retryBaseMs: 5, retryMaxMs: 20,
    ...overrides,
  });
  publisher.start();
  return { producer, publisher, registry };
}

const metric = async (registry: ReturnType<typeof createRegistry>, name: string, labels?: Record<string, string>) => {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.filter((v) => !labels || Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
    .reduce((a, v) => a + v.value, 0);
};

describe('KafkaSpanPublisher', () => {
  it('creates an idempotent producer with one request in flight, and connects eagerly', async () => {
    const { producer, publisher } = setup();
    assert.deepEqual(producer.config[0], { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
    await sleep(5);
    assert.equal(publisher.readinessProblem(), undefined);
    await publisher.close();
  });

  it('batches concurrent publishes into one sendBatch and keys records by trace id low 64 bits', async () => {
    const { producer, publisher } = setup({ ackMode: 'kafka' });
    await Promise.all([publisher.publish(spans(3)), publisher.publish(spans(4, 3)), publisher.publish(spans(2, 7))]);
    assert.equal(producer.batches.length, 1);
    assert.equal(producer.batches[0]?.length, 9);
    const first = producer.batches[0]?.[0];
    assert.equal(first?.key, span(0).traceId.slice(16));
    assert.ok(Buffer.isBuffer(first?.value));
    assert.equal(Object.keys(first?.headers ?? {}).length, 1);
    await publisher.close();
  });

  it('splits at BATCH_MAX_MESSAGES, keeping order', async () => {
    const { producer, publisher } = setup({ batchMaxMessages: 4 });
    await publisher.publish(spans(10));
    assert.deepEqual(producer.batches.map((b) => b.length), [4, 4, 2]);
    await publisher.close();
  });

  it('ACK_MODE=buffer resolves before Kafka acknowledges', async () => {
    const { producer, publisher } = setup({ ackMode: 'buffer' });
    let release!: () => void;
    producer.behaviour = () => new Promise((r) => { release = r; });
    await publisher.publish(spans(2));
    assert.equal(producer.batches.length, 0);
    await sleep(40);
    release();
    await publisher.close();
    assert.equal(producer.batches.length, 1);
  });

  it('ACK_MODE=kafka rejects with ACK_TIMEOUT but still sends the spans later', async () => {
    const { producer, publisher, registry } = setup({ ackTimeoutMs: 50 });
    let release!: () => void;
    producer.behaviour = () => new Promise((r) => { release = r; });
    await assert.rejects(publisher.publish(spans(3)), (e: unknown) => isMeshrayError(e) && e.code === 'ACK_TIMEOUT');
    assert.equal(publisher.bufferedSpans, 3);
    release();
    await sleep(10);
    assert.equal(producer.batches.length, 1);
    assert.equal(publisher.bufferedSpans, 0);
    assert.equal(await metric(registry, 'meshray_receiver_spans_published_total'), 3);
    await publisher.close();
  });

  it('refuses a publish that does not fit the buffer with BUFFER_FULL, whole', async () => {
    const { producer, publisher } = setup({ ackMode: 'buffer', bufferMaxSpans: 10 });
    producer.behaviour = () => Promise.reject(new Error('broker down'));
    await publisher.publish(spans(8));
    await assert.rejects(publisher.publish(spans(3)), (e: unknown) => isMeshrayError(e) && e.code === 'BUFFER_FULL');
    await publisher.publish(spans(2));
    assert.equal(publisher.bufferedSpans, 10);
    await publisher.close();
  });

  it('retries failed sends until Kafka takes them', async () => {
    const { producer, publisher, registry } = setup();
    let failures = 3;
    producer.behaviour = async () => { if (failures-- > 0) throw new Error('leader not available'); };
    await publisher.publish(spans(5));
    assert.equal(producer.batches.length, 1);
    assert.equal(await metric(registry, 'meshray_receiver_publish_retries_total'), 3);
    await publisher.close();
  });

  it('isolates and drops (counted) a record Kafka refuses for good', async () => {
    const { producer, publisher, registry } = setup({ ackMode: 'buffer' });
    const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE', retriable: false });
    producer.behaviour = async (messages) => { if (messages.some((m) => m.key === span(2).traceId.slice(16))) throw tooLarge; };
    await publisher.publish(spans(6));
    const { droppedSpans } = await publisher.close();
    assert.equal(droppedSpans, 0);
    assert.equal(producer.batches.flat().length, 5);
    assert.equal(await metric(registry, 'meshray_receiver_spans_dropped_total', { reason: 'publish_failed' }), 1);
  });

  it('drains on close, then refuses with NOT_READY', async () => {
    const { producer, publisher } = setup({ ackMode: 'buffer', lingerMs: 10_000 });
    await publisher.publish(spans(5));
    assert.equal(publisher.readinessProblem(), undefined);
    const { droppedSpans } = await publisher.close();
    assert.equal(droppedSpans, 0);
    assert.equal(producer.batches.flat().length, 5);
    assert.equal(publisher.readinessProblem(), 'shutting down');
    await assert.rejects(publisher.publish(spans(1)), (e: unknown) => isMeshrayError(e) && e.code === 'NOT_READY');
  });

  it('counts spans Kafka never took by the drain timeout as dropped_at_shutdown', async () => {
    const { producer, publisher, registry } = setup({ ackMode: 'buffer', drainTimeoutMs: 100 });
    producer.behaviour = () => Promise.reject(new Error('broker down'));
    await publisher.publish(spans(7));
    const started = Date.now();
    const { droppedSpans } = await publisher.close();
    assert.ok(Date.now() - started < 1000);
    assert.equal(droppedSpans, 7);
    assert.equal(await metric(registry, 'meshray_receiver_spans_dropped_total', { reason: 'dropped_at_shutdown' }), 7);
    assert.equal(publisher.bufferedSpans, 0);
  });
});
