// Unit level: the batching, acknowledgement and shutdown logic against a scripted producer, on mock timers
// (setTimeout and Date): no test waits for real time. The real broker is exercised in
// test/integration/services/receiver.
import { describe, it, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, Message, RecordMetadata } from 'kafkajs';
import { unansweredPartitions } from '../../../../../shared/edge/kafka/unanswered-partitions.ts';
import { isMeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { KafkaSpanPublisher, type KafkaSpanPublisherOptions } from '../../../../../services/receiver/publish/kafka-span-publisher.ts';
import { decodeSpans, SPAN_LIST_SCHEMA_FINGERPRINT } from '../../../../../shared/core/avro/index.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../../shared/core/span-record/headers.ts';
import { spanPartitionOf } from '../../../../../shared/core/span-record/partition.ts';
import { advance, drive, flush } from '../../../../support/mock-time.ts';

type SendBehaviour = (messages: Message[]) => Promise<void | RecordMetadata[]>;

class ScriptedProducer {
  readonly events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };
  readonly batches: Message[][] = [];
  readonly config: unknown[] = [];
  behaviour: SendBehaviour = async () => {};
  private listeners = new Map<string, () => void>();
  on(event: string, fn: () => void) { this.listeners.set(event, fn); return () => {}; }
  async connect() { this.listeners.get(this.events.CONNECT)?.(); }
  async disconnect() { this.listeners.get(this.events.DISCONNECT)?.(); }
  /** What kafka.producer() returns: its own events (as each kafkajs producer has), the shared script. */
  instance(): ScriptedProducer {
    const own = Object.create(this) as ScriptedProducer;
    own.listeners = new Map();
    return own;
  }
  async sendBatch(req: { acks: number; topicMessages: { topic: string; messages: Message[] }[] }) {
    assert.equal(req.acks, -1);
    const messages = req.topicMessages[0]?.messages ?? [];
    const answers = await this.behaviour(messages);
    this.batches.push(messages);
    // A behaviour that says nothing is answered as kafkajs answers a full write: one RecordMetadata per partition.
    const topicName = req.topicMessages[0]?.topic ?? '';
    return answers ?? [...new Set(messages.map((m) => m.partition ?? 0))].map((partition): RecordMetadata => ({ topicName, partition, errorCode: 0 }));
  }
}

/**
 * A model of Kafka's idempotent producer dedupe behind kafkajs's producer bookkeeping (issue 10): each
 * producer has its own id and per-partition sequence, taken before a produce and given back when the request
 * throws (kafkajs 2.2.4 src/producer/sendMessages.js); the broker acknowledges WITHOUT writing a batch whose
 * sequence range is the last one it wrote for that producer and partition. `loseAnswers`: the next N
 * requests are written, then fail as a connection closed by a broker killed -9 would.
 */
class IdempotentBroker {
  readonly log: Message[] = [];
  readonly producerIds: number[] = [];
  loseAnswers = 0;
  readonly #last = new Map<string, { seq: number; count: number }>();

  producer(): unknown {
    const pid = this.producerIds.length + 1;
    this.producerIds.push(pid);
    const next = new Map<number, number>();
    const listeners = new Map<string, () => void>();
    const events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };
    return {
      events,
      on: (event: string, fn: () => void) => { listeners.set(event, fn); return () => {}; },
      connect: async () => { listeners.get(events.CONNECT)?.(); },
      disconnect: async () => { listeners.get(events.DISCONNECT)?.(); },
      sendBatch: async (req: { topicMessages: { topic: string; messages: Message[] }[] }): Promise<RecordMetadata[]> => {
        const messages = req.topicMessages[0]?.messages ?? [];
        const partitions = [...new Set(messages.map((m) => m.partition ?? 0))];
        const taken = partitions.map((partition) => {
          const records = messages.filter((m) => (m.partition ?? 0) === partition);
          const seq = next.get(partition) ?? 0;
          next.set(partition, seq + records.length);
          return { partition, seq, records };
        });
        for (const b of taken) this.#append(pid, b.partition, b.seq, b.records);
        if (this.loseAnswers > 0) {
          this.loseAnswers -= 1;
          for (const b of taken) next.set(b.partition, b.seq); // kafkajs gives the sequence back
          throw Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError', retriable: true });
        }
        return taken.map((b) => ({ topicName: req.topicMessages[0]?.topic ?? '', partition: b.partition, errorCode: 0 }));
      },
    };
  }

  #append(pid: number, partition: number, seq: number, records: Message[]): void {
    const key = `${pid}/${partition}`;
    const last = this.#last.get(key);
    if (last !== undefined && last.seq === seq && last.count === records.length) return; // a "duplicate": acknowledged, not written
    this.#last.set(key, { seq, count: records.length });
    this.log.push(...records);
  }
}

const span = (i: number): Span => ({
  traceId: `463ac35c9f6413ad48485a3953bb${(6000 + i).toString(16).padStart(4, '0')}`,
  id: (0x1000 + i).toString(16).padStart(16, '0'),
  annotations: [],
  tags: { i: String(i) },
});
const spans = (n: number, from = 0) => Array.from({ length: n }, (_, i) => span(from + i));
/** The spans a span-list record carries. */
const spansOf = (m: Message): Span[] => {
  const decoded = decodeSpans(m.value as Buffer, String(m.headers?.[SPAN_SCHEMA_HEADER]));
  assert.ok(decoded.ok, JSON.stringify(decoded));
  return decoded.value;
};
const spanIds = (messages: readonly Message[]): string[] => messages.flatMap((m) => spansOf(m).map((x) => x.id));
/** Mock timers (setTimeout and Date) for one test: fake time starts at 1 000 000 ms. */
function fakeTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  return {
    advance: (ms: number) => advance(t, ms),
    drive: <T>(promise: Promise<T>, maxMs = 5000) => drive(t, promise, maxMs),
  };
}

function setup(t: TestContext, overrides: Partial<KafkaSpanPublisherOptions> = {}) {
  const time = fakeTime(t);
  const producer = new ScriptedProducer();
  const kafka = { producer: (cfg: unknown) => { producer.config.push(cfg); return producer.instance(); } } as unknown as Kafka;
  const registry = createRegistry();
  const publisher = new KafkaSpanPublisher({
    kafka, topic: 't', partitions: 1, ackMode: 'kafka', ackTimeoutMs: 1000, bufferMaxSpans: 100, lingerMs: 20,
    batchMaxMessages: 50, drainTimeoutMs: 500, logger: silentLogger(), registry, retryBaseMs: 5, retryMaxMs: 20,
    random: () => 0.999, monotonicMs: Date.now, // the mocked Date: time moves only with the mocked timers
    ...overrides,
  });
  publisher.start();
  return { producer, publisher, registry, ...time };
}

test('before start() (Kafka not answered yet since the receiver started) publish refuses at once with NOT_READY and holds nothing', async (t) => {
  fakeTime(t);
  const registry = createRegistry();
  const producer = new ScriptedProducer();
  const publisher = new KafkaSpanPublisher({
    kafka: { producer: () => producer.instance() } as unknown as Kafka, topic: 't', partitions: 1, ackMode: 'kafka', ackTimeoutMs: 1000,
    bufferMaxSpans: 100, lingerMs: 20, batchMaxMessages: 50, drainTimeoutMs: 500, logger: silentLogger(), registry, monotonicMs: Date.now,
  });
  await assert.rejects(publisher.publish(spans(3)), (e: unknown) => isMeshrayError(e) && e.code === 'NOT_READY' && /span topic is not ready yet/.test(e.message));
  assert.equal(publisher.bufferedSpans, 0);
  assert.deepEqual(await publisher.close(), { droppedSpans: 0 });
});

const metric = async (registry: ReturnType<typeof createRegistry>, name: string, labels?: Record<string, string>) => {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.filter((v) => !labels || Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
    .reduce((a, v) => a + v.value, 0);
};

describe('KafkaSpanPublisher', () => {
  it('creates an idempotent producer with one request in flight, and connects eagerly', async (t) => {
    const { producer, publisher, drive } = setup(t);
    assert.deepEqual(producer.config[0], { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
    await flush();
    assert.equal(publisher.readinessProblem(), undefined);
    await drive(publisher.close());
  });

  it('batches concurrent publishes into one sendBatch after BATCH_LINGER: one keyless span-list record per partition', async (t) => {
    const { producer, publisher, registry, advance, drive } = setup(t, { ackMode: 'kafka', partitions: 6 });
    const published = Promise.all([publisher.publish(spans(3)), publisher.publish(spans(4, 3)), publisher.publish(spans(2, 7))]);
    await advance(19);
    assert.equal(producer.batches.length, 0, 'still lingering');
    await drive(published, 1);
    assert.equal(producer.batches.length, 1);
    const records = producer.batches[0] ?? [];
    const partitions = new Set(spans(9).map((s) => spanPartitionOf(s.traceId, 6)));
    assert.equal(records.length, partitions.size, 'one record per partition the spans map to');
    assert.deepEqual([...spanIds(records)].sort(), spans(9).map((s) => s.id).sort());
    for (const r of records) {
      assert.equal(r.key, null, 'no key: a record holds several traces');
      for (const s of spansOf(r)) assert.equal(spanPartitionOf(s.traceId, 6), r.partition, 'every span in the partition its trace decides');
      assert.equal(r.timestamp, String(1_000_000), 'records carry the clock time of their first publish');
      assert.deepEqual(r.headers, { [SPAN_SCHEMA_HEADER]: SPAN_LIST_SCHEMA_FINGERPRINT });
    }
    assert.equal(await metric(registry, 'meshray_receiver_records_published_total'), records.length);
    await drive(publisher.close());
  });

  it('cuts one request\'s spans of one partition into records of at most 256 KiB (a request of one large trace made one record over Kafka\'s 1 MB limit, refused for good)', async (t) => {
    const { producer, publisher, drive } = setup(t, { partitions: 1 });
    const large = spans(40).map((s) => ({ ...s, tags: { ...s.tags, 'http.url': 'x'.repeat(20_000) } })); // ≈ 800 KB
    await drive(publisher.publish(large), 100);
    const records = producer.batches.flat();
    assert.ok(records.length >= 4, `${records.length} records`);
    for (const r of records) assert.ok((r.value as Buffer).length <= 256 * 1024, `a record of ${(r.value as Buffer).length} bytes`);
    assert.deepEqual(spanIds(records), large.map((s) => s.id), 'every span once, in order');
    await drive(publisher.close());
  });

  it('sends at most 768 KiB of one partition at once (the broker applies its 1 MB limit to a partition\'s whole record batch), so a 3 MB request goes in several sends, none refused', async (t) => {
    const { producer, publisher, drive } = setup(t, { partitions: 1, batchMaxMessages: 1000, bufferMaxSpans: 1000 });
    const large = spans(150).map((s) => ({ ...s, tags: { ...s.tags, 'http.url': 'x'.repeat(20_000) } })); // ≈ 3 MB
    let refused = 0;
    producer.behaviour = async (messages) => {
      const bytes = messages.reduce((n, m) => n + (m.value as Buffer).length, 0);
      if (bytes > 1024 * 1024 && ++refused > 0) throw Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' });
    };
    await drive(publisher.publish(large), 1000);
    assert.ok(producer.batches.length >= 4, `${producer.batches.length} sends`);
    assert.deepEqual(spanIds(producer.batches.flat()), large.map((s) => s.id), 'every span once, in order');
    assert.equal(refused, 0, 'no send refused (each cost a producer renewal and held every other request back)');
    await drive(publisher.close());
  });

  it('sends whole publishes up to BATCH_MAX_MESSAGES spans, keeping order; a full batch does not linger', async (t) => {
    const { producer, publisher, drive } = setup(t, { batchMaxMessages: 6 });
    const published = Promise.all([publisher.publish(spans(3)), publisher.publish(spans(3, 3)), publisher.publish(spans(3, 6)), publisher.publish(spans(1, 9))]);
    await flush();
    assert.deepEqual(producer.batches.map((b) => spanIds(b).length), [6], 'a full batch at once');
    await drive(published, 20);
    assert.deepEqual(producer.batches.map((b) => spanIds(b).length), [6, 4]);
    assert.deepEqual(producer.batches.flatMap(spanIds), spans(10).map((s) => s.id));
    await drive(publisher.close());
  });

  it('a span Avro cannot carry fails its request whole and leaves nothing behind: no orphan acknowledgement, no uncounted chunk', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'kafka', partitions: 6 });
    const good = spans(5);
    // a duration past avsc's long (2^53 - 2): the decoders refuse it (MAX_SPAN_MICROS); should one slip through,
    // earlier partition groups were queued and a ticket opened before the encoder threw
    const bad: Span = { ...span(99), durationMicros: Number.MAX_SAFE_INTEGER };
    assert.notEqual(spanPartitionOf(bad.traceId, 6), spanPartitionOf(good[0]?.traceId ?? '', 6), 'the bad span is not in the first group');
    await assert.rejects(publisher.publish([...good, bad]), /invalid span long/);
    assert.equal(publisher.bufferedSpans, 0, 'nothing counted');
    await advance(2000); // past ACK_TIMEOUT and any linger: an orphan ticket would reject unhandled here
    assert.equal(producer.batches.length, 0, 'nothing was queued for Kafka');
    await drive(publisher.publish(spans(2, 10)), 100);
    assert.deepEqual(spanIds(producer.batches.flat()), spans(2, 10).map((x) => x.id), 'the next request is sent alone');
    await drive(publisher.close());
  });

  it('a wall clock stepping back (NTP, a VM resumed) neither holds the linger wait nor ACK_TIMEOUT; records keep wall-clock timestamps', async (t) => {
    let wallMs = Date.UTC(2026, 11, 2, 7, 0, 0);
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'kafka', nowMs: () => wallMs });
    const first = publisher.publish(spans(2));
    wallMs -= 5_000; // the wall clock steps 5 s back during the linger
    await advance(20);
    assert.equal(producer.batches.length, 1, 'sent after BATCH_LINGER, not 5 s later');
    assert.equal(producer.batches[0]?.[0]?.timestamp, String(wallMs + 5_000), 'the record says when it was received, on the wall clock');
    await drive(first, 5);
    producer.behaviour = () => new Promise(() => {}); // Kafka stops answering
    const second = publisher.publish(spans(1, 2));
    second.catch(() => undefined);
    wallMs -= 60_000;
    await advance(1000 + 20);
    await assert.rejects(second, (e: unknown) => isMeshrayError(e) && e.code === 'ACK_TIMEOUT', 'ACK_TIMEOUT fires on time');
    producer.behaviour = async () => {};
    await drive(publisher.close());
  });

  it('ACK_MODE=buffer resolves before Kafka acknowledges', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'buffer' });
    let release!: () => void;
    producer.behaviour = () => new Promise((r) => { release = r; });
    await publisher.publish(spans(2));
    assert.equal(producer.batches.length, 0);
    await advance(40);
    assert.equal(producer.batches.length, 0, 'sent, not yet acknowledged');
    release();
    await drive(publisher.close());
    assert.equal(producer.batches.length, 1);
  });

  it('ACK_MODE=kafka rejects with ACK_TIMEOUT but still sends the spans later', async (t) => {
    const { producer, publisher, registry, advance, drive } = setup(t, { ackTimeoutMs: 50 });
    let release!: () => void;
    producer.behaviour = () => new Promise((r) => { release = r; });
    const timedOut = assert.rejects(publisher.publish(spans(3)), (e: unknown) => isMeshrayError(e) && e.code === 'ACK_TIMEOUT');
    await advance(49);
    assert.equal(publisher.bufferedSpans, 3);
    await drive(timedOut, 1);
    assert.equal(publisher.bufferedSpans, 3, 'still queued after the timeout');
    release();
    await flush();
    assert.equal(producer.batches.length, 1);
    assert.equal(publisher.bufferedSpans, 0);
    assert.equal(await metric(registry, 'meshray_receiver_spans_published_total'), 3);
    await drive(publisher.close());
  });

  it('ACK_MODE=kafka refuses with BUFFER_FULL what could not drain within ACK_TIMEOUT at the measured rate, though the buffer has room', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackTimeoutMs: 1000, bufferMaxSpans: 100, batchMaxMessages: 10 });
    producer.behaviour = () => new Promise((r) => setTimeout(r, 100)); // Kafka takes 10 spans per 100 ms
    const first = Promise.all([publisher.publish(spans(10)), publisher.publish(spans(10, 10)), publisher.publish(spans(10, 20))]);
    assert.equal(publisher.isFull(70), false, 'no measurement yet: only the buffer bounds');
    await flush(); // the first send starts at once (a full batch does not linger)
    await advance(100);
    assert.equal(publisher.bufferedSpans, 20, 'one send of 10 acknowledged, 20 left: 100 spans/s measured');
    // 100 spans/s × ACK_TIMEOUT 1 s × headroom 0.5 = 50 spans may wait: 20 queued + 30 fits, + 31 does not
    assert.equal(publisher.isFull(30), false);
    assert.equal(publisher.isFull(31), true);
    await assert.rejects(publisher.publish(spans(31, 30)), (e: unknown) => isMeshrayError(e) && e.code === 'BUFFER_FULL' && /100 spans\/s measured/.test(e.message));
    assert.equal(publisher.bufferedSpans, 20, 'the refused spans were not queued');
    await drive(first, 1000);
    assert.equal(publisher.isFull(1), false, 'an empty queue admits');
    await drive(publisher.close());
  });

  it('refuses a publish that does not fit the buffer with BUFFER_FULL, whole', async (t) => {
    const { producer, publisher, drive } = setup(t, { ackMode: 'buffer', bufferMaxSpans: 10 });
    producer.behaviour = () => Promise.reject(new Error('broker down'));
    await publisher.publish(spans(8));
    await assert.rejects(publisher.publish(spans(3)), (e: unknown) => isMeshrayError(e) && e.code === 'BUFFER_FULL');
    await publisher.publish(spans(2));
    assert.equal(publisher.bufferedSpans, 10);
    await drive(publisher.close());
  });

  it('the buffer gauge shows the spans buffered while Kafka acknowledges nothing (it was set only on acknowledgements)', async (t) => {
    const { producer, publisher, registry, drive } = setup(t, { ackMode: 'buffer', bufferMaxSpans: 10 });
    producer.behaviour = () => Promise.reject(new Error('broker down'));
    await publisher.publish(spans(8));
    assert.equal(await metric(registry, 'meshray_receiver_buffer_spans'), 8);
    assert.equal(await metric(registry, 'meshray_receiver_buffer_capacity_spans'), 10);
    producer.behaviour = async () => {};
    await drive(publisher.close());
    assert.equal(await metric(registry, 'meshray_receiver_buffer_spans'), 0, 'drained on close');
  });

  it('retries failed sends with full-jitter backoff until Kafka takes them', async (t) => {
    const { producer, publisher, registry, drive } = setup(t);
    let failures = 3;
    producer.behaviour = async () => { if (failures-- > 0) throw new Error('leader not available'); };
    const startMs = Date.now();
    await drive(publisher.publish(spans(5)));
    assert.equal(producer.batches.length, 1);
    assert.equal(await metric(registry, 'meshray_receiver_publish_retries_total'), 3);
    // linger 20 ms, then retries after ⌊0.999·5⌋, ⌊0.999·10⌋ and ⌊0.999·20⌋ ms (base 5, cap 20)
    assert.equal(Date.now() - startMs, 20 + 4 + 9 + 19);
    await drive(publisher.close());
  });

  it('isolates and drops (counted) the publish whose spans Kafka refuses for good', async (t) => {
    const { producer, publisher, registry, drive } = setup(t, { ackMode: 'buffer' });
    const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE', retriable: false });
    producer.behaviour = async (messages) => { if (spanIds(messages).includes(span(2).id)) throw tooLarge; };
    for (let i = 0; i < 6; i++) await publisher.publish(spans(1, i));
    const { droppedSpans } = await drive(publisher.close());
    assert.equal(droppedSpans, 0);
    assert.deepEqual(producer.batches.flatMap(spanIds), spans(6).filter((_, i) => i !== 2).map((s) => s.id));
    assert.equal(await metric(registry, 'meshray_receiver_spans_dropped_total', { reason: 'publish_failed' }), 1);
  });

  it('drains on close without waiting out the linger, then refuses with NOT_READY', async (t) => {
    const { producer, publisher, drive } = setup(t, { ackMode: 'buffer', lingerMs: 10_000 });
    await publisher.publish(spans(5));
    assert.equal(publisher.readinessProblem(), undefined);
    const { droppedSpans } = await drive(publisher.close(), 100);
    assert.equal(droppedSpans, 0);
    assert.equal(producer.batches.flatMap(spanIds).length, 5);
    assert.equal(publisher.readinessProblem(), 'shutting down');
    await assert.rejects(publisher.publish(spans(1)), (e: unknown) => isMeshrayError(e) && e.code === 'NOT_READY');
  });

  it('counts spans Kafka never took by the drain timeout as dropped_at_shutdown', async (t) => {
    const { producer, publisher, registry, drive } = setup(t, { ackMode: 'buffer', drainTimeoutMs: 100 });
    producer.behaviour = () => Promise.reject(new Error('broker down'));
    await publisher.publish(spans(7));
    const startMs = Date.now();
    const { droppedSpans } = await drive(publisher.close());
    assert.equal(Date.now() - startMs, 100, 'close gives up exactly at the drain timeout');
    assert.equal(droppedSpans, 7);
    assert.equal(await metric(registry, 'meshray_receiver_spans_dropped_total', { reason: 'dropped_at_shutdown' }), 7);
    assert.equal(publisher.bufferedSpans, 0);
  });

  it('sends a batch again when kafkajs answers it without writing every partition (a leader moved mid-send)', async (t) => {
    const { producer, publisher, registry, drive } = setup(t, { partitions: 6 });
    const batch = spans(12);
    const answer = (messages: Message[], skip: number | undefined): RecordMetadata[] =>
      unansweredPartitions('t', 6, messages, []).filter((p) => p !== skip).map((partition) => ({ topicName: 't', partition, errorCode: 0 }));
    let calls = 0;
    let skipped: number | undefined;
    producer.behaviour = async (messages) => {
      calls += 1;
      if (calls > 1) return answer(messages, undefined);
      skipped = unansweredPartitions('t', 6, messages, [])[0];
      return answer(messages, skipped);
    };
    await drive(publisher.publish(batch), 1000);
    assert.ok(skipped !== undefined);
    assert.equal(producer.batches.length, 2, 'the whole batch was sent again');
    assert.equal(producer.batches[1]?.length, producer.batches[0]?.length, 'every record again, not only the skipped partition\'s');
    assert.deepEqual(spanIds(producer.batches[1] ?? []).sort(), batch.map((x) => x.id).sort(), 'all 12 spans, in span-list records');
    assert.equal(await metric(registry, 'meshray_receiver_publish_retries_total'), 1);
    await drive(publisher.close());
  });

  it('replaces the producer when Kafka refuses its sequence state (OUT_OF_ORDER_SEQUENCE_NUMBER), then sends again', async (t) => {
    const { producer, publisher, drive } = setup(t);
    let calls = 0;
    producer.behaviour = async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    };
    await drive(publisher.publish(spans(3)), 1000);
    assert.equal(producer.config.length, 2, 'a second producer was created');
    assert.equal(producer.batches.length, 1);
    assert.equal(spanIds(producer.batches[0] ?? []).length, 3, 'the 3 spans, in one span-list record');
    assert.equal(publisher.readinessProblem(), undefined, 'the new producer is connected');
    await drive(publisher.close());
  });

  it('replaces the producer after every failed send: a send Kafka wrote but whose answer was lost is not resent under its sequence numbers, which Kafka would take for a duplicate of the rebuilt record', async (t) => {
    const time = fakeTime(t);
    const broker = new IdempotentBroker();
    const kafka = { producer: () => broker.producer() } as unknown as Kafka;
    const publisher = new KafkaSpanPublisher({
      kafka, topic: 't', partitions: 1, ackMode: 'kafka', ackTimeoutMs: 1000, bufferMaxSpans: 100, lingerMs: 20,
      batchMaxMessages: 50, drainTimeoutMs: 500, logger: silentLogger(), registry: createRegistry(), retryBaseMs: 5, retryMaxMs: 20,
      random: () => 0.999, monotonicMs: Date.now,
    });
    publisher.start();
    broker.loseAnswers = 1;
    const first = publisher.publish(spans(3));
    await time.advance(20); // linger: the first send is written, its answer lost
    assert.equal(broker.log.length, 1, 'Kafka holds the first record');
    const second = publisher.publish(spans(3, 3)); // joins the buffer before the retry (backoff 4 ms)
    await time.drive(Promise.all([first, second]), 1000);
    assert.deepEqual([...new Set(spanIds(broker.log))].sort(), spans(6).map((x) => x.id).sort(), 'every span answered is in Kafka');
    assert.equal(broker.producerIds.length, 2, 'the retry went through a new producer');
    assert.equal(publisher.readinessProblem(), undefined);
    await time.drive(publisher.close());
  });

  it('a span topic deleted under it: readiness says the topic does not exist, in whole milliseconds (found by review: a float and no cause)', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'buffer', ackTimeoutMs: 1000 });
    const unknown = Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 });
    producer.behaviour = () => Promise.reject(Object.assign(new Error(unknown.message), { name: 'KafkaJSNumberOfRetriesExceeded', cause: unknown }));
    await publisher.publish(spans(3));
    await advance(1001);
    assert.match(publisher.readinessProblem() ?? '', /^Kafka has not acknowledged buffered spans for \d+ ms \(last send failed: topic t does not exist on the brokers \(deleted\?\): create it again/);
    // a request refused BUFFER_FULL says why too (it said only "publish buffer is full")
    assert.match(publisher.whyFull(1000) ?? '', /^publish buffer is full \(3 of 100 spans await Kafka; Kafka is not taking spans: its last error is on \/health\/ready and in the log\)$/);
    producer.behaviour = () => Promise.resolve();
    await advance(100);
    assert.equal(publisher.readinessProblem(), undefined);
    await drive(publisher.close());
  });

  it('a send that never returns (a broker stopped, not gone): a BUFFER_FULL says Kafka has not acknowledged, not only the drain rate (found by the newcomer trial)', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'buffer', ackTimeoutMs: 1000, bufferMaxSpans: 5 });
    let release: () => void = () => undefined;
    producer.behaviour = () => new Promise<undefined>((resolve) => { release = () => resolve(undefined); });
    await publisher.publish(spans(3));
    await advance(500);
    assert.match(publisher.whyFull(3) ?? '', /^publish buffer is full \(3 of 5 spans await Kafka\)$/, 'within ACK_TIMEOUT: nothing to say about Kafka yet');
    await advance(1000);
    assert.match(publisher.whyFull(3) ?? '', /^publish buffer is full \(3 of 5 spans await Kafka; Kafka has not acknowledged a send for 1\d{3} ms: see \/health\/ready\)$/);
    release();
    await advance(100);
    assert.equal(publisher.whyFull(3), undefined);
    await drive(publisher.close());
  });

  it('is not ready while buffered spans wait for Kafka longer than ACK_TIMEOUT, ready again once Kafka takes them', async (t) => {
    const { producer, publisher, advance, drive } = setup(t, { ackMode: 'buffer', ackTimeoutMs: 1000 });
    let up = false;
    producer.behaviour = () => (up ? Promise.resolve() : Promise.reject(new Error('broker down')));
    await publisher.publish(spans(3));
    await advance(1000);
    assert.equal(publisher.readinessProblem(), undefined, 'exactly ACK_TIMEOUT is still within it');
    await advance(1);
    assert.equal(publisher.readinessProblem(), 'Kafka has not acknowledged buffered spans for 1001 ms (last send failed: broker down)');
    up = true;
    await advance(100);
    assert.equal(publisher.bufferedSpans, 0);
    assert.equal(publisher.readinessProblem(), undefined);
    await drive(publisher.close());
  });
});
