import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshrayError } from '../../../../shared/edge/errors/index.ts';
import { Registry } from 'prom-client';
import kafkajs from 'kafkajs';
// @ts-expect-error kafkajs ships no types for its error table
import { createErrorFromCode } from 'kafkajs/src/protocol/error.js';
import { silentLogger } from '../../../../shared/edge/log/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../shared/core/xray/index.ts';
import { InProcessDeadLetterSink } from '../../../../services/translator/export/dead-letter.ts';
import { DEAD_LETTER_HEADERS } from '../../../../shared/core/span-record/headers.ts';
import { segmentExportSink } from '../../../../services/translator/export/export-document.ts';
import { PartitionEpochs } from '../../../../services/translator/epochs/partition-epochs.ts';
import { createTranslatorMetrics } from '../../../../services/translator/metrics.ts';
import { TranslatorPipeline } from '../../../../services/translator/pipeline.ts';
import { BatchTranslator } from '../../../../services/translator/translate/translate-batch.ts';
import { segmentPacker } from '../../../../services/translator/translate/pack-segments.ts';
import { waitFor } from '../../../support/wait.ts';
import { nestedIdsOf } from '../../../support/xray-local.ts';
import { decodeSpanRecord } from '../../../../shared/core/span-record/record.ts';
import { FakeSink, harness, hex, listRecordOf, metricValue, recordOf, spanOf } from './support.ts';

const now = Date.now();
const trace = (n: number) => `${hex(Math.floor(now / 1000), 8)}${hex(n, 24)}`;

test('offsets are committed only after the sink accepted the documents', async () => {
  let failures = 3;
  const sizesSeen: number[] = [];
  const seen: { h?: ReturnType<typeof harness> } = {};
  const sink = new FakeSink(() => {
    sizesSeen.push(seen.h?.topic.size ?? -1);
    if (failures-- > 0) throw new MeshrayError('XRAY_UNAVAILABLE', 'down');
    return { rejected: [] };
  });
  const h = harness({ sink, partitions: 1 });
  seen.h = h;
  h.topic.append([1, 2, 3].map((n) => recordOf(spanOf(trace(n), hex(n, 16), now))));
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.deepEqual(sizesSeen, [3, 3, 3, 3], 'nothing committed while the sink fails, nor before it answers');
    assert.equal(sink.calls.length, 4);
    assert.equal(sink.accepted.length, 3);
    assert.equal(await metricValue(h.registry, 'meshray_translator_batches_total', { outcome: 'failed' }), 3);
  } finally {
    await h.app.stop();
  }
});

test('a rebalance met mid-batch (a heartbeat between export retries) abandons the batch, not a failure: it is redelivered and exported (found by review: logged at error with a stack on every scale-out)', async () => {
  let thrown = false;
  const sink = new FakeSink(() => {
    if (!thrown) {
      thrown = true;
      // what kafkajs's heartbeat throws while the group rebalances (Kafka error 27)
      throw new kafkajs.KafkaJSProtocolError(createErrorFromCode(27));
    }
    return { rejected: [] };
  });
  const h = harness({ sink, partitions: 1 });
  h.topic.append([1, 2].map((n) => recordOf(spanOf(trace(n), hex(n, 16), now))));
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.equal(sink.accepted.length, 2);
    assert.equal(await metricValue(h.registry, 'meshray_translator_batches_total', { outcome: 'abandoned' }), 1);
    assert.equal(await metricValue(h.registry, 'meshray_translator_batches_total', { outcome: 'failed' }), 0);
  } finally {
    await h.app.stop();
  }
});

test('documents accepted before a failed export are not sent again on redelivery', async () => {
  const sink = new FakeSink((docs, call) => (call === 1
    ? { rejected: [], unfinished: { code: 'XRAY_THROTTLED' as const, message: 'slow down', indices: [docs.length - 1] } }
    : { rejected: [] }));
  const h = harness({ sink, partitions: 1 });
  h.topic.append([1, 2, 3].map((n) => recordOf(spanOf(trace(n), hex(n, 16), now))));
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.equal(sink.calls[0]?.length, 3);
    assert.deepEqual(sink.calls[1], [sink.calls[0]?.[2]], 'only the unfinished document is sent again');
  } finally {
    await h.app.stop();
  }
});

test('a document X-Ray refuses is dead-lettered with its reason; the others are accepted', async () => {
  const sink = new FakeSink((docs) => ({
    rejected: docs.flatMap((d, index) => (d.includes(hex(2, 16)) ? [{ index, code: 'SEGMENT_REJECTED' as const, reason: 'InvalidName', message: 'bad name' }] : [])),
  }));
  const h = harness({ sink, partitions: 1 });
  h.topic.append([1, 2, 3].map((n) => recordOf(spanOf(trace(n), hex(n, 16), now))));
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.equal(h.dlq.letters.length, 1);
    const letter = h.dlq.letters[0]!;
    assert.equal(letter.code, 'SEGMENT_REJECTED');
    assert.equal(letter.reason, 'InvalidName');
    assert.equal(letter.record.key, trace(2).slice(-16));
    assert.equal(sink.accepted.length, 2);
    assert.equal(await metricValue(h.registry, 'meshray_translator_dead_letters_total', { reason: 'InvalidName' }), 1);
  } finally {
    await h.app.stop();
  }
});

test('a poison record goes to the DLQ after POISON_MAX_ATTEMPTS deliveries; its partition moves on', async () => {
  const sink = new FakeSink();
  const h = harness({ sink, partitions: 1, poisonMaxAttempts: 3 });
  h.topic.append([recordOf(spanOf(trace(1), hex(1, 16), now))]);
  h.topic.append([{ key: 'garbage', value: Buffer.from([0xff, 0xfe, 0x01]), headers: {}, timestampMs: 0 }]);
  h.topic.append([recordOf(spanOf(trace(3), hex(3, 16), now)), recordOf({ ...spanOf(trace(4), hex(4, 16), now), timestampMicros: undefined } as never)]);
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    const undecodable = h.dlq.letters.find((l) => l.code === 'RECORD_UNDECODABLE');
    assert.ok(undecodable);
    assert.equal(undecodable.attempts, 3);
    assert.equal(undecodable.record.offset, '1');
    assert.deepEqual(undecodable.record.value, Buffer.from([0xff, 0xfe, 0x01]));
    const untranslatable = h.dlq.letters.find((l) => l.code === 'SPAN_UNTRANSLATABLE');
    assert.ok(untranslatable);
    assert.equal(untranslatable.reason, 'no_timestamp');
    assert.equal(sink.accepted.length, 2, 'records before and after the poison were exported');
    assert.equal(await metricValue(h.registry, 'meshray_translator_spans_rejected_total', { reason: 'undecodable' }), 1);
  } finally {
    await h.app.stop();
  }
});

test('per-partition epoch caches are dropped on revoke', async () => {
  const logger = silentLogger();
  const metrics = createTranslatorMetrics(new Registry());
  const epochs = new PartitionEpochs({ ttlMs: 60_000, maxEntries: 100 });
  const pipeline = new TranslatorPipeline({
    translator: new BatchTranslator({ config: DEFAULT_TRANSLATOR_CONFIG, metrics, logger }),
    epochs, sink: segmentExportSink(new FakeSink()), deadLetters: new InProcessDeadLetterSink({ maxRecords: 10 }), metrics, logger,
    poisonMaxAttempts: 3, clock: () => now,
  });
  const control = { heartbeat: async () => {}, isActive: () => true };
  const batch = (partition: number, n: number) => ({
    topic: 't', partition, records: [{ ...recordOf(spanOf(trace(n), hex(n, 16), now)), partition, offset: '0' }],
  });
  assert.deepEqual(await pipeline.handle(batch(0, 1), control), { doneThrough: '0', doneRecords: 1 });
  assert.deepEqual(await pipeline.handle(batch(1, 2), control), { doneThrough: '0', doneRecords: 1 });
  assert.equal(epochs.forPartition(0).recall(trace(1).slice(-16), now), `1-${trace(1).slice(0, 8)}-${trace(1).slice(8)}`);
  pipeline.revoke([0]);
  assert.deepEqual(epochs.partitions, [1]);
  assert.equal(epochs.forPartition(0).recall(trace(1).slice(-16), now), undefined);
  assert.ok(epochs.forPartition(1).recall(trace(2).slice(-16), now));
});

/** A pipeline on one partition whose clock the test sets (`at.ms`), EPOCH_TTL 60 s, no packing. */
function pipelineAtClock() {
  const logger = silentLogger();
  const metrics = createTranslatorMetrics(new Registry());
  const sink = new FakeSink();
  const at = { ms: now };
  const pipeline = new TranslatorPipeline({
    translator: new BatchTranslator({ config: DEFAULT_TRANSLATOR_CONFIG, metrics, logger }),
    epochs: new PartitionEpochs({ ttlMs: 60_000, maxEntries: 100 }), sink: segmentExportSink(sink),
    deadLetters: new InProcessDeadLetterSink({ maxRecords: 10 }), metrics, logger, poisonMaxAttempts: 3, clock: () => at.ms,
  });
  const control = { heartbeat: async () => {}, isActive: () => true };
  return { pipeline, sink, at, control };
}

test('a trace keeps its X-Ray id when its late span is translated after a lag longer than EPOCH_TTL (the cache runs on receive time)', async () => {
  const { pipeline, sink, at: clock, control } = pipelineAtClock();
  // a 64-bit Zipkin trace id has no epoch: its X-Ray id is minted from the start second of its first span seen
  const traceId = 'a1b2c3d4e5f60718';
  const receivedMs = now - 5_000;
  const batch = (offset: string, span: ReturnType<typeof spanOf>, timestampMs: number) => ({
    topic: 't', partition: 0, records: [{ ...recordOf(span), timestampMs, partition: 0, offset }],
  });
  clock.ms = receivedMs + 100;
  await pipeline.handle(batch('0', spanOf(traceId, hex(1, 16), receivedMs - 2_200), receivedMs), control);
  // received 4 s later (another sidecar's flush), translated 10 minutes later: the consumer lagged behind a throttle
  clock.ms = receivedMs + 600_000;
  await pipeline.handle(batch('1', spanOf(traceId, hex(2, 16), receivedMs + 1_300), receivedMs + 4_000), control);
  const ids = sink.accepted.map((d) => (JSON.parse(d) as { trace_id: string }).trace_id);
  assert.equal(ids.length, 2);
  assert.notEqual(Math.floor((receivedMs - 2_200) / 1000), Math.floor((receivedMs + 1_300) / 1000), 'the spans start in different seconds');
  assert.equal(ids[1], ids[0], 'one X-Ray trace id for both spans');
  assert.equal(ids[0], `1-${hex(Math.floor((receivedMs - 2_200) / 1000), 8)}-00000000${traceId}`);

  // a record received more than EPOCH_TTL after the trace's last one starts a new id, as before
  clock.ms = receivedMs + 700_000;
  await pipeline.handle(batch('2', spanOf(traceId, hex(3, 16), receivedMs + 70_000), receivedMs + 65_000), control);
  const third = (JSON.parse(sink.accepted[2]!) as { trace_id: string }).trace_id;
  assert.equal(third, `1-${hex(Math.floor((receivedMs + 70_000) / 1000), 8)}-00000000${traceId}`);
});

test('a trace keeps its X-Ray id when its late span is exported in one batch with traces received much later (each trace counts EPOCH_TTL from its own records)', async () => {
  const { pipeline, sink, at: clock, control } = pipelineAtClock();
  const traceId = 'b1b2c3d4e5f60718';
  const receivedMs = now - 200_000;
  const at = (offset: string, span: ReturnType<typeof spanOf>, timestampMs: number) => ({ ...recordOf(span), timestampMs, partition: 0, offset });
  clock.ms = now - 100_000;
  await pipeline.handle({ topic: 't', partition: 0, records: [at('0', spanOf(traceId, hex(1, 16), receivedMs - 2_200), receivedMs)] }, control);
  // the assembly window (or a redelivery) exports the trace's late span together with a trace received 90 s later
  clock.ms = now;
  await pipeline.handle({ topic: 't', partition: 0, records: [
    at('1', spanOf('c1c2c3d4e5f60718', hex(3, 16), receivedMs + 89_000), receivedMs + 90_000),
    at('2', spanOf(traceId, hex(2, 16), receivedMs + 1_300), receivedMs + 4_000),
  ] }, control);
  const idOf = (spanId: string) => (JSON.parse(sink.accepted.find((d) => d.includes(spanId))!) as { trace_id: string }).trace_id;
  assert.equal(idOf(hex(2, 16)), idOf(hex(1, 16)), 'one X-Ray trace id for both spans of the trace');
  assert.equal(idOf(hex(1, 16)), `1-${hex(Math.floor((receivedMs - 2_200) / 1000), 8)}-00000000${traceId}`);
});

test('dead letters carry the source position and reason as headers', async () => {
  const { deadLetterHeaders } = await import('../../../../shared/core/span-record/headers.ts');
  const headers = deadLetterHeaders({
    topic: 'meshray.spans', code: 'RECORD_UNDECODABLE', reason: 'undecodable', attempts: 3, message: 'bad avro',
    record: { key: 'k', value: Buffer.from('x'), headers: { a: 'b' }, timestampMs: 1, partition: 4, offset: '17' },
  });
  assert.equal(headers[DEAD_LETTER_HEADERS.partition], '4');
  assert.equal(headers[DEAD_LETTER_HEADERS.offset], '17');
  assert.equal(headers[DEAD_LETTER_HEADERS.attempts], '3');
  assert.equal(headers[DEAD_LETTER_HEADERS.code], 'RECORD_UNDECODABLE');
  assert.equal(headers['a'], 'b');
});

test('EPOCH_POLICY=preserve: a span whose trace-id epoch X-Ray refuses is dead-lettered alone; its neighbours are exported', async () => {
  const sink = new FakeSink();
  const h = harness({ sink, partitions: 1, translatorConfig: { ...DEFAULT_TRANSLATOR_CONFIG, epochPolicy: 'preserve' } });
  // a 64-bit trace id pads to epoch 00000000 (1970): X-Ray refuses it, so preserve must not send it
  h.topic.append([recordOf(spanOf(trace(1), hex(1, 16), now)), recordOf(spanOf(hex(2, 16), hex(2, 16), now)), recordOf(spanOf(trace(3), hex(3, 16), now))]);
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.deepEqual(h.dlq.letters.map((l) => [l.code, l.reason, l.record.offset]), [['SPAN_UNTRANSLATABLE', 'epoch_out_of_window', '1']]);
    assert.equal(sink.accepted.length, 2, 'the records before and after it were exported');
    assert.ok(sink.accepted.every((d) => !d.includes('"trace_id":"1-00000000-')), 'no document carries a trace id X-Ray refuses');
  } finally {
    await h.app.stop();
  }
});

test('span-list records (v2): each span is its own dead letter; its neighbours in the record are exported', async () => {
  const sink = new FakeSink((docs) => ({
    rejected: docs.flatMap((d, index) => (d.includes(hex(5, 16)) ? [{ index, code: 'SEGMENT_REJECTED' as const, reason: 'InvalidName', message: 'bad name' }] : [])),
  }));
  const h = harness({ sink, partitions: 1, poisonMaxAttempts: 2 });
  const untranslatable = { ...spanOf(trace(2), hex(2, 16), now), timestampMicros: undefined } as never;
  h.topic.append([listRecordOf([spanOf(trace(1), hex(1, 16), now), untranslatable, spanOf(trace(3), hex(3, 16), now)])]);
  h.topic.append([listRecordOf([spanOf(trace(4), hex(4, 16), now), spanOf(trace(5), hex(5, 16), now)])]);
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    const letters = h.dlq.letters.map((l) => ({ code: l.code, offset: l.record.offset, spanIndex: l.record.headers[DEAD_LETTER_HEADERS.spanIndex], key: l.record.key }));
    assert.deepEqual(letters, [
      { code: 'SPAN_UNTRANSLATABLE', offset: '0', spanIndex: '1', key: trace(2).slice(-16) },
      { code: 'SEGMENT_REJECTED', offset: '1', spanIndex: '1', key: trace(5).slice(-16) },
    ]);
    for (const [l, id] of [[h.dlq.letters[0], hex(2, 16)], [h.dlq.letters[1], hex(5, 16)]] as const) {
      const alone = decodeSpanRecord(l!.record);
      assert.ok(alone.ok, 'a dead letter is a single-span record');
      assert.equal(alone.value.id, id, 'the poison span alone, not its record');
    }
    assert.equal(sink.accepted.length, 3, 'spans 1, 3 and 4 exported');
  } finally {
    await h.app.stop();
  }
});

test('unexportedLetters (a shutdown\'s leftovers): a poison record under POISON_MAX_ATTEMPTS keeps its own reason, per span; the rest is unexported', async () => {
  const sink = new FakeSink();
  // refused for now, not for good (error-policy.ts isFinalRefusal): EPOCH_POLICY=preserve and a trace id dated 1970
  const h = harness({ sink, partitions: 1, poisonMaxAttempts: Number.MAX_SAFE_INTEGER, translatorConfig: { ...DEFAULT_TRANSLATOR_CONFIG, epochPolicy: 'preserve' } });
  const untranslatable = spanOf(`00000001${hex(2, 24)}`, hex(2, 16), now);
  h.topic.append([recordOf(spanOf(trace(9), hex(9, 16), now))]);
  h.topic.append([listRecordOf([spanOf(trace(1), hex(1, 16), now), untranslatable, spanOf(trace(3), hex(3, 16), now)])]);
  h.topic.append([{ key: 'garbage', value: Buffer.from([0xff, 0xfe, 0x01]), headers: {}, timestampMs: 0 }]);
  h.topic.append([recordOf(spanOf(trace(4), hex(4, 16), now))]);
  await h.app.start();
  try {
    await waitFor('a poison retry', 5000, async () => (await metricValue(h.registry, 'meshray_translator_batches_total', { outcome: 'poison_retry' })) >= 2, { intervalMs: 5 });
  } finally {
    await h.app.stop();
  }
  const held = h.topic.removeAll();
  assert.deepEqual(held.map((r) => r.offset), ['1', '2', '3'], 'the record before the poison was exported and committed');
  const letters = h.app.unexportedLetters('spans', held, { reason: 'unexported_at_shutdown', message: 'stopped' });
  const seen = letters.map((l) => {
    const alone = decodeSpanRecord(l.record);
    return { offset: l.record.offset, id: alone.ok ? alone.value.id : null, code: l.code, reason: l.reason, poisonRetried: l.attempts >= 2 };
  });
  assert.deepEqual(seen, [
    { offset: '1', id: hex(1, 16), code: 'NOT_READY', reason: 'unexported_at_shutdown', poisonRetried: false },
    { offset: '1', id: hex(2, 16), code: 'SPAN_UNTRANSLATABLE', reason: 'epoch_out_of_window', poisonRetried: true },
    { offset: '1', id: hex(3, 16), code: 'NOT_READY', reason: 'unexported_at_shutdown', poisonRetried: false },
    { offset: '2', id: null, code: 'RECORD_UNDECODABLE', reason: 'undecodable', poisonRetried: true },
    { offset: '3', id: hex(4, 16), code: 'NOT_READY', reason: 'unexported_at_shutdown', poisonRetried: false },
  ]);
  assert.equal(h.dlq.letters.length, 0, 'nothing was dead-lettered while running: every poison was under its limit');
});

test('a dead letter\'s message names the span by its index in its record, not in the batch (replay said spans[88] of a one-span record)', async () => {
  const h = harness({ sink: new FakeSink(), partitions: 1, poisonMaxAttempts: 1 });
  const untranslatable = { ...spanOf(trace(2), hex(2, 16), now), timestampMicros: undefined } as never;
  h.topic.append([listRecordOf([spanOf(trace(7), hex(7, 16), now), spanOf(trace(8), hex(8, 16), now)])]);
  h.topic.append([listRecordOf([spanOf(trace(1), hex(1, 16), now), untranslatable])]);
  await h.app.start();
  try {
    await waitFor('the topic drained', 5000, () => h.topic.size === 0, { intervalMs: 5 });
    assert.equal(h.dlq.letters.length, 1);
    assert.match(h.dlq.letters[0]?.message ?? '', /^spans\[1\]\.timestamp/, 'the span is item 1 of its record (item 3 of the batch)');
    // two poison spans in one record: each letter names its own span
    h.topic.append([listRecordOf([spanOf(trace(4), hex(4, 16), now), { ...spanOf(trace(5), hex(5, 16), now), timestampMicros: undefined } as never, { ...spanOf(trace(6), hex(6, 16), now), timestampMicros: undefined } as never])]);
    await waitFor('the second record dead-lettered', 5000, () => h.dlq.letters.length === 3, { intervalMs: 5 });
    assert.deepEqual(h.dlq.letters.slice(1).map((l) => [l.record.headers[DEAD_LETTER_HEADERS.spanIndex], l.message.slice(0, 19)]), [['1', 'spans[1].timestamp:'], ['2', 'spans[2].timestamp:']]);
  } finally {
    await h.app.stop();
  }
});

// ---- PACKING=on ---------------------------------------------------------------------------------

/** A pipeline over `sink` with PACKING=on, and one partition's batch of the spans of Bookinfo request 1 (1.7.4, reviews v2). */
async function packingPipeline(sink: FakeSink) {
  const { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS } = await import('../../../../services/simulator/index.ts');
  const prng = createPrng(5);
  generateRequest(prng, now * 1000, 0);
  const spans = generateRequest(prng, now * 1000, 1, DEFAULT_GENERATE_OPTIONS).spans.map((s) => s.span);
  const logger = silentLogger();
  const registry = new Registry();
  const metrics = createTranslatorMetrics(registry);
  const deadLetters = new InProcessDeadLetterSink({ maxRecords: 10 });
  const pipeline = new TranslatorPipeline({
    translator: new BatchTranslator({ config: DEFAULT_TRANSLATOR_CONFIG, metrics, logger }),
    epochs: new PartitionEpochs({ ttlMs: 60_000, maxEntries: 100 }), sink: segmentExportSink(sink), deadLetters, metrics, logger,
    poisonMaxAttempts: 3, clock: () => now, failurePauseMs: 0, pack: segmentPacker(64 * 1024),
  });
  const batch = { topic: 't', partition: 0, records: spans.map((s, i) => ({ ...recordOf(s), partition: 0, offset: String(i) })) };
  const control = { heartbeat: async () => {}, isActive: () => true };
  return { pipeline, batch, control, spans, deadLetters, registry };
}

test('PACKING=on: a Bookinfo request of 8 spans is exported as 5 documents, one per service hop, then committed', async () => {
  const sink = new FakeSink();
  const { pipeline, batch, control, spans, registry } = await packingPipeline(sink);
  assert.equal(spans.length, 8);
  assert.deepEqual(await pipeline.handle(batch, control), { doneThrough: '7', doneRecords: 8 });
  assert.equal(sink.calls.length, 1);
  const names = (sink.calls[0] ?? []).map((d) => JSON.parse(d) as { name: string; type?: string; subsegments?: unknown[] });
  assert.deepEqual(names.map((d) => `${d.name}:${d.subsegments?.length ?? 0}`).sort(), ['details.default:0', 'istio-ingressgateway:1', 'productpage.default:2', 'ratings.default:0', 'reviews.default:1']);
  assert.ok(names.every((d) => d.type === undefined));
  assert.equal(await metricValue(registry, 'meshray_translator_documents_exported_total'), 5);
  assert.equal(await metricValue(registry, 'meshray_translator_spans_translated_total'), 8);
});

test('PACKING=on: a span refused for good among a request\'s spans is dead-lettered at its first delivery and does not cut the batch: every service hop is still one document (a cut split them, and a replay then showed their CLIENT spans twice)', async () => {
  const sink = new FakeSink();
  const { pipeline, batch, control, deadLetters, registry } = await packingPipeline(sink);
  const refused = { ...spanOf(trace(99), hex(99, 16), now), timestampMicros: undefined } as never;
  const records = [...batch.records.slice(0, 3), { ...recordOf(refused), partition: 0, offset: '3' }, ...batch.records.slice(3).map((r, i) => ({ ...r, offset: String(4 + i) }))];
  assert.deepEqual(await pipeline.handle({ ...batch, records }, control), { doneThrough: '8', doneRecords: 9 });
  assert.deepEqual(deadLetters.letters.map((l) => [l.reason, l.attempts]), [['no_timestamp', 1]]);
  assert.equal(sink.calls.length, 1);
  const names = (sink.calls[0] ?? []).map((d) => JSON.parse(d) as { name: string; subsegments?: unknown[] });
  assert.deepEqual(names.map((d) => `${d.name}:${d.subsegments?.length ?? 0}`).sort(), ['details.default:0', 'istio-ingressgateway:1', 'productpage.default:2', 'ratings.default:0', 'reviews.default:1']);
  assert.equal(await metricValue(registry, 'meshray_translator_batches_total', { outcome: 'poison_retry' }), 0);
});

test('PACKING=on: a refused packed document is sent again unpacked, so only the span X-Ray refuses is dead-lettered; an unfinished one alone is sent again', async () => {
  let badId = '';
  const refusing = new FakeSink((docs) => ({
    rejected: docs.flatMap((d, index) => (d.includes(`"id":"${badId}"`) ? [{ index, code: 'SEGMENT_REJECTED' as const, reason: 'InvalidSegment', message: 'no' }] : [])),
  }));
  const a = await packingPipeline(refusing);
  const productpageClient = a.spans.findIndex((s) => s.localEndpoint?.serviceName === 'productpage.default' && s.kind === 'CLIENT');
  badId = a.spans[productpageClient]?.id ?? '';
  assert.deepEqual(await a.pipeline.handle(a.batch, a.control), { doneThrough: '7', doneRecords: 8 });
  assert.equal(refusing.calls.length, 2, 'the packed call, then the refused document\'s documents alone');
  assert.ok((refusing.calls[1]?.length ?? 0) >= 3, 'productpage\'s SERVER span and both CLIENT spans, each alone');
  assert.deepEqual(a.deadLetters.letters.map((l) => Number(l.record.offset)), [productpageClient], 'only the refused span');
  const exportedIds = new Set(refusing.accepted.flatMap((d) => [...d.matchAll(/"id":"([0-9a-f]{16})"/g)].map((m) => m[1])));
  for (const [i, s] of a.spans.entries()) if (i !== productpageClient) assert.ok(exportedIds.has(s.id), `span ${i} (${s.localEndpoint?.serviceName} ${s.kind}) was exported`);

  const throttling = new FakeSink((docs, call) => (call === 1
    ? { rejected: [], unfinished: { code: 'XRAY_THROTTLED' as const, message: 'slow down', indices: [docs.findIndex((d) => d.startsWith('{"name":"reviews.default"'))] } }
    : { rejected: [] }));
  const b = await packingPipeline(throttling);
  assert.equal((await b.pipeline.handle(b.batch, b.control)).doneThrough, undefined);
  assert.deepEqual(await b.pipeline.handle(b.batch, b.control), { doneThrough: '7', doneRecords: 8 });
  assert.equal(throttling.calls[1]?.length, 1);
  assert.ok(throttling.calls[1]?.[0]?.startsWith('{"name":"reviews.default"'));
});

test('PACKING=on: when the unpacked call after a refused packed document fails (a rebalance), what the packed call accepted is still remembered: not sent again on redelivery', async () => {
  let badId = '';
  let failSecond = true;
  const sink = new FakeSink((docs, call) => {
    if (call === 2 && failSecond) throw new MeshrayError('NOT_READY', 'heartbeat failed: the group is rebalancing');
    return { rejected: docs.flatMap((d, index) => (d.includes(`"id":"${badId}"`) ? [{ index, code: 'SEGMENT_REJECTED' as const, reason: 'InvalidSegment', message: 'no' }] : [])) };
  });
  const a = await packingPipeline(sink);
  badId = a.spans.find((s) => s.localEndpoint?.serviceName === 'productpage.default' && s.kind === 'CLIENT')?.id ?? '';
  assert.equal((await a.pipeline.handle(a.batch, a.control)).doneThrough, undefined, 'not done: the unpacked documents are unfinished');
  const acceptedFirst = sink.calls[0]?.filter((d) => !d.includes(`"id":"${badId}"`)) ?? [];
  assert.ok(acceptedFirst.length >= 3);
  failSecond = false;
  assert.deepEqual(await a.pipeline.handle(a.batch, a.control), { doneThrough: '7', doneRecords: 8 });
  const resent = sink.calls.slice(2).flat();
  for (const d of acceptedFirst) assert.ok(!resent.includes(d), 'a document the first call accepted is not sent again');
  assert.equal(a.deadLetters.letters.length, 1, 'only the refused span');
});

test('PACKING=on: spans accepted before a failed export are not sent again nested in a document packed differently on redelivery', async () => {
  // The soak that found it: X-Ray throttled for 5 minutes, partial acceptance, redelivered batches holding more
  // records than the first delivery; two ids were stored twice (alone, then nested in their parent's document).
  const throttling = new FakeSink((docs, call) => (call === 1
    ? { rejected: [], unfinished: { code: 'XRAY_THROTTLED' as const, message: 'slow down', indices: [docs.findIndex((d) => d.startsWith('{"name":"reviews.default"'))] } }
    : { rejected: [] }));
  const { pipeline, batch, control, spans } = await packingPipeline(throttling);
  // first delivery without productpage's SERVER span (it finishes last): its CLIENT spans go as documents of their own
  const server = spans.findIndex((s) => s.localEndpoint?.serviceName === 'productpage.default' && s.kind === 'SERVER');
  assert.ok(server >= 0);
  const first = { ...batch, records: batch.records.filter((_, i) => i !== server) };
  assert.equal((await pipeline.handle(first, control)).doneThrough, undefined);
  // the redelivery holds every record: productpage's document could now nest the CLIENT spans already accepted
  assert.deepEqual(await pipeline.handle(batch, control), { doneThrough: '7', doneRecords: 8 });
  const ids = throttling.accepted.flatMap((d) => nestedIdsOf(JSON.parse(d) as { id?: string }));
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no id accepted twice');
  const whole = new FakeSink();
  const once = await packingPipeline(whole);
  await once.pipeline.handle(once.batch, once.control);
  assert.deepEqual(ids.sort(), whole.accepted.flatMap((d) => nestedIdsOf(JSON.parse(d) as { id?: string })).sort(), 'every document of the batch delivered');
});

/** What X-Ray holds after `accepted` (in call order): a document sent again under an id replaces the earlier one. */
function heldIdsOf(accepted: readonly string[]): string[] {
  const byId = new Map<string, string>();
  for (const d of accepted) byId.set(`${(JSON.parse(d) as { trace_id?: string }).trace_id}:${(JSON.parse(d) as { id?: string }).id}`, d);
  return [...byId.values()].flatMap((d) => nestedIdsOf(JSON.parse(d) as { id?: string })).sort();
}

test('PACKING=on: a span delivered again after its trace was exported (a duplicate record) does not replace the packed document that nested its CLIENT spans', async () => {
  // The failover soak that found it (SIGSTOP of a broker): the receiver resends a batch Kafka had partly written,
  // so a SERVER span is in the topic twice. Exported alone the second time, its document replaced the first one,
  // which nested the service's CLIENT spans: they were gone from X-Ray, and the partition was committed past them.
  const sink = new FakeSink();
  const { pipeline, batch, control, spans, registry } = await packingPipeline(sink);
  assert.deepEqual(await pipeline.handle(batch, control), { doneThrough: '7', doneRecords: 8 });
  const whole = heldIdsOf(sink.accepted);
  assert.equal(whole.length, spans.length + 1, 'every span, and the root CLIENT span\'s local segment');
  const server = batch.records.findIndex((_, i) => spans[i]?.localEndpoint?.serviceName === 'productpage.default' && spans[i]?.kind === 'SERVER');
  const client = batch.records.findIndex((_, i) => spans[i]?.localEndpoint?.serviceName === 'productpage.default' && spans[i]?.kind === 'CLIENT');
  assert.ok(server >= 0 && client >= 0);
  for (const [i, again] of [server, client].entries()) {
    const record = batch.records[again];
    assert.ok(record !== undefined);
    const duplicate = { ...batch, records: [{ ...record, offset: String(8 + i) }] };
    assert.deepEqual(await pipeline.handle(duplicate, control), { doneThrough: String(8 + i), doneRecords: 1 }, 'the duplicate is done');
  }
  assert.deepEqual(heldIdsOf(sink.accepted), whole, 'X-Ray still holds every document, each once');
  const ids = sink.accepted.flatMap((d) => nestedIdsOf(JSON.parse(d) as { id?: string }));
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no id sent twice');
  assert.equal(await metricValue(registry, 'meshray_translator_documents_not_resent_total'), 2);
});

/**
 * The Bookinfo batch exported through `gated` (whose calls `sink` records), and, once its first call is out, a
 * duplicate of its productpage SERVER span's record (offset 8) exported too: the window's timer and a batch.
 */
async function exportWithDuplicate(gated: FakeSink, sink: FakeSink) {
  const { pipeline, batch, control, spans } = await packingPipeline(gated);
  const original = pipeline.exportBatch(batch, control);
  await waitFor('the original call sent', 1000, () => sink.calls.length === 1, { intervalMs: 1 });
  const server = spans.findIndex((s) => s.localEndpoint?.serviceName === 'productpage.default' && s.kind === 'SERVER');
  const record = batch.records[server];
  assert.ok(record !== undefined);
  const duplicate = pipeline.exportBatch({ ...batch, records: [{ ...record, offset: '8' }] }, control);
  return { original, duplicate, spans };
}

test('PACKING=on: a duplicate exported while the original\'s call is still out waits for its answer and is not sent once X-Ray took it (X-Ray would keep whichever came last)', async () => {
  // The assembly window's timer and a batch can export the original trace and a late duplicate at once.
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const sink = new FakeSink();
  const gated: FakeSink = Object.assign(Object.create(sink) as FakeSink, {
    put: async (documents: readonly string[]) => { sink.calls.push([...documents]); await gate; documents.forEach((d) => sink.accepted.push(d)); return { rejected: [] }; },
  });
  const { original, duplicate: exported, spans } = await exportWithDuplicate(gated, sink);
  let duplicateDone = false;
  const duplicate = exported.finally(() => { duplicateDone = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(duplicateDone, false, 'its fate waits for the original call: reported done now, it was lost when that call failed');
  release();
  assert.deepEqual(await original, { doneThrough: '7', doneRecords: 8 });
  assert.deepEqual(await duplicate, { doneThrough: '8', doneRecords: 1 });
  assert.equal(sink.calls.length, 1, 'the duplicate was not sent');
  assert.equal(heldIdsOf(sink.accepted).length, spans.length + 1);
});

test('PACKING=on: a duplicate waiting for the original\'s call finds what that call had X-Ray take, even while a refused document of it is sent again unpacked (found by review: it was sent, and replaced the packed document)', async () => {
  let releaseFirst: () => void = () => {};
  let releaseSecond: () => void = () => {};
  const gate1 = new Promise<void>((resolve) => { releaseFirst = resolve; });
  const gate2 = new Promise<void>((resolve) => { releaseSecond = resolve; });
  const sink = new FakeSink();
  const nameOf = (d: string): string => (JSON.parse(d) as { name: string }).name;
  const gated: FakeSink = Object.assign(Object.create(sink) as FakeSink, {
    put: async (documents: readonly string[]) => {
      const call = sink.calls.push([...documents]);
      if (call === 1) {
        await gate1; // X-Ray refuses the packed reviews document
        const rejected = documents.flatMap((d, index) => (nameOf(d) === 'reviews.default' ? [{ index, code: 'SEGMENT_REJECTED' as const, reason: 'InvalidSegment', message: 'refused' }] : []));
        documents.forEach((d, i) => { if (!rejected.some((r) => r.index === i)) sink.accepted.push(d); });
        return { rejected };
      }
      if (call === 2) await gate2; // its pieces, sent again alone
      documents.forEach((d) => sink.accepted.push(d));
      return { rejected: [] };
    },
  });
  const { original, duplicate } = await exportWithDuplicate(gated, sink);
  await new Promise((resolve) => setImmediate(resolve));
  releaseFirst();
  await waitFor('the refused document sent again unpacked', 1000, () => sink.calls.length >= 2, { intervalMs: 1 });
  assert.deepEqual(await duplicate, { doneThrough: '8', doneRecords: 1 }, 'the duplicate is done: X-Ray took its document');
  assert.equal(sink.calls.length, 2, 'the duplicate was not sent');
  releaseSecond();
  await original;
  const productpage = sink.accepted.filter((d) => nameOf(d) === 'productpage.default').map((d) => (JSON.parse(d) as { subsegments?: unknown[] }).subsegments?.length ?? 0);
  assert.deepEqual(productpage, [2], 'X-Ray keeps the packed document with its CLIENT subsegments');
});
