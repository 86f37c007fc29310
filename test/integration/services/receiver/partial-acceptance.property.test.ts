/**
 * Acceptance (issue 8, 2), by property, against the REAL broker in KAFKA_BROKERS: for any list of valid
 * spans with one span corrupted at random (a corruption that stays invalid after Zipkin's normalisations),
 * the receiver answers 202, publishes every valid span (ACK_MODE=kafka: readable on the topic when the 202
 * comes), and names the corrupted span's index, field and reason in the body.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { silentLogger } from '../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../shared/edge/metrics/registry.ts';
import { decodeRecordSpans } from '../../../../shared/core/span-record/record.ts';
import { buildApp } from '../../../../services/receiver/app.ts';
import { KafkaSpanPublisher } from '../../../../services/receiver/publish/kafka-span-publisher.ts';
import { counterValue } from '../../../support/xray-local.ts';
import { readTopicToEnd } from '../../../support/read-topic.ts';

const BROKERS = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const json = { 'content-type': 'application/json' };

type Json = Record<string, unknown>;

const hexOf = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).filter((s) => !/^0+$/.test(s));

/** A valid Zipkin v2 span, as Envoy and others send it. */
const validSpan: fc.Arbitrary<Json> = fc.record({
  traceId: fc.oneof(hexOf(16), hexOf(32)),
  id: hexOf(16),
  kind: fc.constantFrom('CLIENT', 'SERVER'),
  name: fc.constantFrom('get /api', 'details.default.svc.cluster.local:9080/*'),
  timestamp: fc.integer({ min: 1_748_779_200_000_000, max: 1_748_865_600_000_000 }),
  duration: fc.integer({ min: 1, max: 5_000_000 }),
  localEndpoint: fc.record({ serviceName: fc.constantFrom('productpage.default', 'reviews.default'), ipv4: fc.ipV4(), port: fc.integer({ min: -1, max: 65535 }) }),
  tags: fc.dictionary(fc.constantFrom('http.method', 'http.status_code', 'upstream_cluster', 'peer.address'), fc.string({ maxLength: 20 })),
});

/** Corruptions that no normalisation repairs, with the field and reason the receiver must name. */
const corruptions: readonly (readonly [string, string, (span: Json) => unknown])[] = [
  ['traceId', 'missing_trace_id', ({ traceId: _t, ...rest }) => rest],
  ['traceId', 'invalid_trace_id', (s) => ({ ...s, traceId: 'not-hex' })],
  ['id', 'missing_id', ({ id: _i, ...rest }) => rest],
  ['id', 'invalid_id', (s) => ({ ...s, id: 'a'.repeat(17) })],
  ['localEndpoint.port', 'invalid_port', (s) => ({ ...s, localEndpoint: { serviceName: 'x', port: 70_000 } })],
  ['kind', 'invalid_kind', (s) => ({ ...s, kind: 'INTERNAL' })],
  ['timestamp', 'invalid_timestamp', (s) => ({ ...s, timestamp: 'soon' })],
  ['annotations', 'invalid_annotation', (s) => ({ ...s, annotations: 'ss' })],
  ['tags["http.method"]', 'invalid_tag', (s) => ({ ...s, tags: { 'http.method': { nested: true } } })],
  ['', 'not_a_span', () => 42],
];

describe('receiver partial acceptance, by property (real Kafka)', { timeout: 180_000 }, () => {
  let kafka: Kafka;
  let publisher: KafkaSpanPublisher;
  const topic = `test.receiver.partial.${randomUUID().slice(0, 8)}`;
  const registry = createRegistry();

  before(async () => {
    assert.ok(BROKERS.length > 0, 'KAFKA_BROKERS must be set (scripts/run-tests.mjs starts a broker)');
    kafka = createKafka({ brokers: BROKERS, clientId: 'partial-acceptance-test', logLevel: 'nothing' });
    await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    publisher = new KafkaSpanPublisher({
      kafka, topic, partitions: 3, ackMode: 'kafka', ackTimeoutMs: 10_000, bufferMaxSpans: 10_000, lingerMs: 2, batchMaxMessages: 1000,
      drainTimeoutMs: 2000, logger: silentLogger(), registry,
    });
    publisher.start();
  });
  after(async () => { await publisher.close(); });

  it('any valid spans with one corrupted: 202, every valid span on the topic, the corrupted one named', async () => {
    const app = buildApp({
      config: { MAX_BODY_BYTES: 5 * 1024 * 1024, MAX_SPANS_PER_REQUEST: 10_000 }, publisher, logger: silentLogger(), registry,
      isReady: () => publisher.readinessProblem() ?? true,
    });
    const published: string[] = [];
    let refusedSpans = 0;
    const uniqueSpans = fc.uniqueArray(validSpan, { minLength: 1, maxLength: 8, selector: (s) => s['id'] });
    await fc.assert(
      fc.asyncProperty(uniqueSpans, fc.nat(), fc.nat({ max: corruptions.length - 1 }), async (spans, at, which) => {
        const index = at % (spans.length + 1);
        const [field, reason, corrupt] = corruptions[which] as (typeof corruptions)[number];
        const victim = spans[index % spans.length] as Json;
        const body = [...spans.slice(0, index), corrupt({ ...victim, id: 'f'.repeat(16) }), ...spans.slice(index)];
        const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: json, payload: JSON.stringify(body) });
        assert.equal(res.statusCode, 202, res.body);
        const answer = res.json() as { refused: { index: number; field: string; reason: string }[] };
        assert.deepEqual(answer.refused.map((r) => ({ index: r.index, field: r.field, reason: r.reason })), [{ index, field, reason }]);
        refusedSpans += 1;
        for (const s of spans) published.push(`${String(s['traceId'])}/${String(s['id'])}`);
      }),
      { numRuns: 40 },
    );

    // every valid span, and only those, is on the topic (the 202s came after Kafka acknowledged them)
    const records = await readTopicToEnd(kafka, topic, { minRecords: 1 });
    const onTopic = records.flatMap((r) => {
      const decoded = decodeRecordSpans(r);
      assert.ok(decoded.ok, `${r.partition}@${r.offset} does not decode`);
      // the model shortens a 32-hex id whose high half is zero; the generated ids never have one
      return decoded.value.map((s) => `${s.traceId}/${s.id}`);
    });
    assert.deepEqual(onTopic.sort(), [...published].sort());
    assert.equal(onTopic.some((k) => k.endsWith('/ffffffffffffffff')), false, 'no corrupted span was published');
    const refusedCounted = (await registry.getMetricsAsJSON()).find((m) => m.name === 'meshray_receiver_spans_refused_total');
    const total = (refusedCounted?.values ?? []).reduce((n, v) => n + v.value, 0);
    assert.equal(total, refusedSpans, 'every refused span counted by reason');
    assert.equal(await counterValue(registry, 'meshray_receiver_spans_received_total'), published.length);
  });
});
