import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { MeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/index.ts';
import type { DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';
import { AssemblingHandler, exportGroupsOf } from '../../../../../services/translator/assemble/assembling-handler.ts';
import type { DueTrace } from '../../../../../services/translator/assemble/assembly-window.ts';
import { createAssemblyMetrics } from '../../../../../services/translator/assemble/assembly-metrics.ts';
import { recordsByTraceOf } from '../../../../../shared/core/span-record/by-trace.ts';
import { decodeRecordSpans, decodeSpanRecord } from '../../../../../shared/core/span-record/record.ts';
import { DEAD_LETTER_HEADERS } from '../../../../../shared/core/span-record/headers.ts';
import type { BatchResult } from '../../../../../services/translator/consume/span-source.ts';
import type { PutOutcome } from '../../../../../services/translator/export/segment-sink.ts';
import type { RecordBatch } from '../../../../../shared/edge/transport/index.ts';
import { PartitionEpochs } from '../../../../../services/translator/epochs/partition-epochs.ts';
import { InProcessDeadLetterSink } from '../../../../../services/translator/export/dead-letter.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { segmentExportSink } from '../../../../../services/translator/export/export-document.ts';
import { segmentPacker } from '../../../../../services/translator/translate/pack-segments.ts';
import { TranslatorPipeline } from '../../../../../services/translator/pipeline.ts';
import { BatchTranslator } from '../../../../../services/translator/translate/translate-batch.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS } from '../../../../../services/simulator/index.ts';
import { advance, flush } from '../../../../support/mock-time.ts';
import { FakeSink, hex, listRecordOf, metricValue, recordOf, spanOf } from '../support.ts';

const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);
const control = { heartbeat: async () => {}, isActive: () => true };

/** Span `n` of its own trace `n` (trace ids dated NOW_MS); the poison variants the translator rejects. */
const traceOf = (n: number): string => `${hex(Math.floor(NOW_MS / 1000), 8)}${hex(n, 24)}`;
const goodSpan = (n: number) => spanOf(traceOf(n), hex(n, 16), NOW_MS);
const noTimestampSpan = (n: number) => ({ ...goodSpan(n), timestampMicros: undefined }) as never;
const badIdSpan = (n: number) => ({ ...goodSpan(n), id: 'not-a-span-id' }) as never;
/** Refused for now, not for good (error-policy.ts isFinalRefusal): with EPOCH_POLICY=preserve, a trace id dated 1970 is `epoch_out_of_window`. */
const retriedSpan = (n: number) => spanOf(`00000001${hex(n, 24)}`, hex(n, 16), NOW_MS);
const PRESERVE = { ...DEFAULT_TRANSLATOR_CONFIG, epochPolicy: 'preserve' as const };

/** Bookinfo request 1 (1.7.4, reviews v2: 8 spans) as records of partition 0 from `offset` on. */
function requestRecords(seed: number, offset: number): DeliveredRecord[] {
  const prng = createPrng(seed);
  generateRequest(prng, NOW_MS * 1000, 0);
  const spans = generateRequest(prng, NOW_MS * 1000, 1, DEFAULT_GENERATE_OPTIONS).spans.map((s) => s.span);
  return spans.map((s, i) => ({ ...recordOf(s), partition: 0, offset: String(offset + i) }));
}

function setUp(t: TestContext, sink: FakeSink, maxSpans = 1000, exportGroupBytes?: number, config = DEFAULT_TRANSLATOR_CONFIG) {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: NOW_MS });
  const logger = silentLogger();
  const registry = new Registry();
  const metrics = createTranslatorMetrics(registry);
  const deadLetters = new InProcessDeadLetterSink({ maxRecords: 10 });
  const pipeline = new TranslatorPipeline({
    translator: new BatchTranslator({ config, metrics, logger }),
    epochs: new PartitionEpochs({ ttlMs: 60_000, maxEntries: 100 }), sink: segmentExportSink(sink), deadLetters,
    metrics, logger, poisonMaxAttempts: 3, clock: Date.now, failurePauseMs: 0, pack: segmentPacker(64 * 1024),
  });
  const dlq = deadLetters;
  const handler = new AssemblingHandler({
    window: { idleMs: 5500, maxAgeMs: 30_000, maxSpans }, pipeline, metrics: createAssemblyMetrics(registry), logger, clock: Date.now, tickMs: 100,
    fullPauseMs: 0, sleep: () => Promise.resolve(), ...(exportGroupBytes === undefined ? {} : { exportGroupBytes }),
  });
  const commits: [number, string][] = [];
  const group = { stable: true };
  handler.attach({ commit: async (partition, offset) => { commits.push([partition, offset]); }, isStable: () => group.stable });
  t.after(() => handler.detach());
  return { handler, commits, registry, group, dlq, pipeline };
}

test('a trace split over two batches is held, exported whole (packed) once idle, and committed from the timer', async (t) => {
  const sink = new FakeSink();
  const { handler, commits, registry } = setUp(t, sink);
  const records = requestRecords(5, 0);
  assert.deepEqual(await handler.handle({ topic: 't', partition: 0, records: records.slice(0, 5) }, control), { heldThrough: '4' });
  await advance(t, 2000, 10);
  assert.deepEqual(await handler.handle({ topic: 't', partition: 0, records: records.slice(5) }, control), { heldThrough: '7' });
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 8);
  await advance(t, 5400, 10);
  assert.equal(sink.calls.length, 0, 'not idle yet');
  await advance(t, 200, 10);
  assert.equal(sink.calls.length, 1);
  assert.equal(sink.calls[0]?.length, 5, 'one document per service hop: the whole trace was packed at once');
  assert.deepEqual(commits, [[0, '7']]);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_flushed_traces_total', { reason: 'idle' }), 1);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 0);
});

test('the window gauges are read when scraped, not when a batch or tick last ran', async (t) => {
  const sink = new FakeSink();
  const { handler, registry } = setUp(t, sink);
  handler.detach(); // no tick: only a scrape can bring the gauges up to date
  await handler.handle({ topic: 't', partition: 0, records: requestRecords(5, 0).slice(0, 3) }, control);
  t.mock.timers.tick(4000);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_oldest_age_seconds'), 4);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_traces'), 1);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 3);
  handler.revoke([0]);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 0, 'a revoked partition no longer counts');
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_oldest_age_seconds'), 0);
});

test('a span after its trace left is exported on its own and counted late; a redelivered one is not exported again', async (t) => {
  const sink = new FakeSink();
  const { handler, commits, registry } = setUp(t, sink);
  const records = requestRecords(5, 0);
  await handler.handle({ topic: 't', partition: 0, records: records.slice(0, 7) }, control);
  await advance(t, 5600, 10);
  assert.deepEqual(commits, [[0, '6']]);
  const result = await handler.handle({ topic: 't', partition: 0, records: records.slice(5) }, control);
  assert.deepEqual(result, { doneThrough: '7', heldThrough: '7' }, 'offsets 5 and 6 are known, 7 is late and exported at once');
  assert.equal(sink.calls.length, 2);
  assert.equal(sink.calls[1]?.length, 1);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_late_spans_total'), 1);
});

test('the span topic deleted and created again (offsets from 0, newer records) while the partition is owned: the new records are exported, not taken for redeliveries (found by review: 1,032 accepted spans committed past unexported)', async (t) => {
  const sink = new FakeSink();
  const { handler, commits } = setUp(t, sink);
  const before = requestRecords(5, 0).map((r) => ({ ...r, timestampMs: NOW_MS - 1000 }));
  await handler.handle({ topic: 't', partition: 0, records: before }, control);
  await advance(t, 5600, 10);
  assert.deepEqual(commits, [[0, '7']]);
  assert.equal(sink.calls.length, 1);
  // the same offsets again, now holding another request received later: a new topic
  const after = requestRecords(9, 0).map((r) => ({ ...r, timestampMs: NOW_MS + 6000 }));
  await handler.handle({ topic: 't', partition: 0, records: after.slice(0, 4) }, control);
  await advance(t, 5600, 10);
  assert.equal(sink.calls.length, 2, 'the new topic\'s trace was exported');
  assert.deepEqual(commits, [[0, '7'], [0, '3']], 'committed as it goes in the new topic, only after the export');
  // a trace still held when the offsets start over (the window's the only copy left) is exported, not dropped
  // (found by the diff review)
  const held = requestRecords(6, 4).map((r) => ({ ...r, timestampMs: NOW_MS + 6500 }));
  await handler.handle({ topic: 't', partition: 0, records: held.slice(0, 4) }, control);
  assert.equal(sink.calls.length, 2, 'held, not idle yet');
  const newer = requestRecords(11, 0).map((r) => ({ ...r, timestampMs: NOW_MS + 20_000 }));
  await handler.handle({ topic: 't', partition: 0, records: newer.slice(0, 2) }, control);
  assert.equal(sink.calls.length, 3, 'the held trace was exported at once when the offsets went back');
  await advance(t, 5600, 10);
  assert.equal(sink.calls.length, 4, 'and the records of the new start were exported in their turn');
  // a true redelivery (an older record at a committed offset) is still recognised and not exported again
  await handler.handle({ topic: 't', partition: 0, records: newer.slice(0, 1) }, control);
  await advance(t, 5600, 10);
  assert.equal(sink.calls.length, 4);
});

test('a failed export puts the trace back: nothing is committed until X-Ray took it', async (t) => {
  let failures = 2;
  const sink = new FakeSink(() => {
    if (failures-- > 0) throw new MeshrayError('XRAY_UNAVAILABLE', 'down');
    return { rejected: [] };
  });
  const { handler, commits } = setUp(t, sink);
  const first = requestRecords(5, 0);
  const second = requestRecords(6, 8);
  await handler.handle({ topic: 't', partition: 0, records: first }, control);
  await advance(t, 3000, 10);
  await handler.handle({ topic: 't', partition: 0, records: second }, control);
  await advance(t, 2600, 10);
  assert.equal(sink.calls.length, 2, 'the first trace failed, and failed again on the next tick');
  assert.deepEqual(commits, []);
  await advance(t, 100, 10);
  assert.equal(sink.accepted.length, 5, 'the first trace is exported on the third try');
  assert.deepEqual(commits, [[0, '7']], 'committed below the second trace, still held');
  await advance(t, 3000, 10);
  await flush();
  assert.deepEqual(commits, [[0, '7'], [0, '15']]);
});

test('revoked partitions are forgotten: their held records are read again by the next owner', async (t) => {
  const sink = new FakeSink();
  const { handler, commits, registry } = setUp(t, sink);
  await handler.handle({ topic: 't', partition: 0, records: requestRecords(5, 0) }, control);
  handler.revoke([0]);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 0);
  await advance(t, 6000, 10);
  assert.equal(sink.calls.length, 0);
  assert.deepEqual(commits, []);
});

test('while the group rebalances nothing is flushed, and idle clocks restart once fetching resumes', async (t) => {
  const sink = new FakeSink();
  const { handler, commits, group } = setUp(t, sink);
  await handler.handle({ topic: 't', partition: 0, records: requestRecords(5, 0) }, control);
  await advance(t, 1000, 10);
  group.stable = false;
  await advance(t, 9000, 10);
  assert.equal(sink.calls.length, 0, 'idle for 10 s, but nothing was fetched for 9 s of it');
  group.stable = true;
  await advance(t, 5400, 10);
  assert.equal(sink.calls.length, 0, 'the idle clock restarted when fetching resumed');
  await advance(t, 200, 10);
  assert.equal(sink.calls.length, 1);
  assert.deepEqual(commits, [[0, '7']]);
});

test('a full window that cannot export takes no more batches (memory stays at the bound); once X-Ray answers, they are taken again', async (t) => {
  let down = true;
  const sink = new FakeSink(() => {
    if (down) throw new MeshrayError('XRAY_UNAVAILABLE', 'down');
    return { rejected: [] };
  });
  const { handler, registry } = setUp(t, sink, 10);
  // a failed export pauses on the mocked clock (failurePauseMs 0): move it while the batch is handled
  const handle = async (records: DeliveredRecord[]) => {
    const result = handler.handle({ topic: 't', partition: 0, records }, control);
    await advance(t, 10, 5);
    return result;
  };
  const first = requestRecords(5, 0);
  const second = requestRecords(6, 8);
  assert.deepEqual(await handle(first), { heldThrough: '7' });
  assert.deepEqual(await handle(second), { heldThrough: '15' }, 'taken in: 8 < 10 held before it');
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 16, 'over the bound by one batch at most');
  const third = requestRecords(7, 16);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    assert.deepEqual(await handle(third), {}, 'not taken in: nothing resolved, fetched again');
  }
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 16, 'nothing more held while exports fail');
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_refused_batches_total'), 3);
  assert.equal(sink.accepted.length, 0);
  down = false;
  const result = await handle(third);
  assert.equal(result.heldThrough, '23', 'the pressure flush exported, so the batch is taken in');
  assert.ok(sink.accepted.length > 0);
});

test('a partition whose export is put back takes no new batch while X-Ray fails, however empty the window (the backlog stays in Kafka)', async (t) => {
  let down = true;
  const sink = new FakeSink(() => {
    if (down) throw new MeshrayError('XRAY_UNAVAILABLE', 'down');
    return { rejected: [] };
  });
  const { handler, registry, commits } = setUp(t, sink, 100_000);
  const handle = async (records: DeliveredRecord[]) => {
    const result = handler.handle({ topic: 't', partition: 0, records }, control);
    await advance(t, 10, 5);
    return result;
  };
  assert.deepEqual(await handle(requestRecords(5, 0)), { heldThrough: '7' });
  await advance(t, 6000, 10); // idle: the timer exports the trace, X-Ray is down, it is put back
  assert.ok(sink.calls.length > 0, 'the idle trace was tried');
  const second = requestRecords(6, 8);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    assert.deepEqual(await handle(second), {}, 'not taken in: nothing resolved, fetched again');
  }
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_spans'), 8, 'only what was held when exports began to fail');
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_refused_batches_total', { reason: 'export_failing' }), 3);
  assert.equal(await metricValue(registry, 'meshray_translator_assembly_refused_batches_total', { reason: 'window_full' }), 0);
  assert.deepEqual(commits, [], 'nothing committed for what X-Ray does not have');
  down = false;
  const result = await handle(second);
  assert.equal(result.heldThrough, '15', 'the held trace went out first, then the batch was taken in');
  assert.equal(result.doneThrough, '7');
  assert.equal(sink.accepted.length > 0, true);
});

test('exportGroupsOf: consecutive groups of whole traces, each within the byte bound unless one trace alone exceeds it', () => {
  const trace = (key: string, ...sizes: number[]): DueTrace => ({
    key, reason: 'idle', records: sizes.map((n, i) => ({ key, value: Buffer.alloc(n), headers: {}, timestampMs: 0, partition: 0, offset: `${key}${i}` })), generation: 1,
  });
  const [a, b, c, d] = [trace('a', 40, 40), trace('b', 20), trace('c', 150), trace('d', 10)];
  const keys = (groups: DueTrace[][]): string[][] => groups.map((g) => g.map((t) => t.key));
  assert.deepEqual(keys(exportGroupsOf([a, b, c, d], 100)), [['a', 'b'], ['c'], ['d']]);
  assert.deepEqual(keys(exportGroupsOf([a, b, c, d], Infinity)), [['a', 'b', 'c', 'd']]);
  assert.deepEqual(keys(exportGroupsOf([a, b, c, d], 1)), [['a'], ['b'], ['c'], ['d']]);
  assert.deepEqual(exportGroupsOf([], 100), []);
});

test('due traces go to the pipeline a group at a time; a failed group is retried with the groups after it, untried, and nothing is committed past it', async (t) => {
  let failAt = 2;
  const sink = new FakeSink((_documents, call) => {
    if (call === failAt) throw new MeshrayError('XRAY_UNAVAILABLE', 'down');
    return { rejected: [] };
  });
  const { handler, commits } = setUp(t, sink, 1000, 1); // every trace is a group of its own
  const traces = [requestRecords(5, 0), requestRecords(6, 8), requestRecords(7, 16)];
  await handler.handle({ topic: 't', partition: 0, records: traces.flat() }, control);
  await advance(t, 5550, 10); // one due tick (5500 ms)
  assert.equal(sink.calls.length, 2, 'the first trace exported, the second failed, the third not tried');
  assert.deepEqual(commits, [[0, '7']], 'committed through the first trace only');
  failAt = 0;
  await advance(t, 100, 10);
  await flush();
  assert.equal(sink.calls.length, 4, 'the second and third traces, one call each, on the next tick');
  assert.equal(sink.accepted.length, 15);
  assert.deepEqual(commits, [[0, '7'], [0, '23']]);
});

test('span-list records holding a good trace and a poison one: each poison span is dead-lettered, never committed past (the parts share their record\'s offset)', async (t) => {
  const sink = new FakeSink();
  const { handler, commits, dlq, registry } = setUp(t, sink);
  const [good, poison] = [goodSpan, noTimestampSpan];
  const records = [listRecordOf([good(1), poison(2)]), listRecordOf([poison(3), good(4)])].map((r, i) => ({ ...r, timestampMs: NOW_MS, partition: 0, offset: String(i) }));
  await handler.handle({ topic: 't', partition: 0, records }, control);
  await advance(t, 10_000, 50);
  assert.deepEqual(dlq.letters.map((l) => [l.record.offset, l.reason]).sort(), [['0', 'no_timestamp'], ['1', 'no_timestamp']], 'both poison spans, each after POISON_MAX_ATTEMPTS');
  assert.equal(await metricValue(registry, 'meshray_translator_spans_rejected_total', { reason: 'no_timestamp' }), 2);
  const exported = sink.accepted.map((d) => (JSON.parse(d) as { id: string }).id).sort();
  assert.deepEqual(exported, [hex(1, 16), hex(4, 16)]);
  assert.equal(commits.at(-1)?.[1], '1', 'committed once every part of both records is done');
});

test('poison spans of two traces in one span-list record, refused for now: one delivery counts once toward POISON_MAX_ATTEMPTS, and a shutdown names each', async (t) => {
  const sink = new FakeSink();
  const { handler, dlq, pipeline } = setUp(t, sink, 1000, undefined, PRESERVE);
  const record = { ...listRecordOf([goodSpan(1), retriedSpan(2), retriedSpan(3)]), timestampMs: NOW_MS, partition: 0, offset: '0' };

  // the window's parts of the record, delivered once: each poison part is under its limit, with its own reason
  const parts = recordsByTraceOf(record);
  assert.equal(parts.length, 3);
  assert.deepEqual(await pipeline.exportBatch({ topic: 't', partition: 0, records: parts }, control), { doneThrough: '0', doneRecords: 1 });
  const letters = pipeline.unexportedLetters('t', parts.slice(1), { reason: 'unexported_at_shutdown', message: 'stopped' });
  assert.deepEqual(letters.map((l) => {
    const span = decodeSpanRecord(l.record);
    return [span.ok ? span.value.id : null, l.reason, l.attempts];
  }), [[hex(2, 16), 'epoch_out_of_window', 1], [hex(3, 16), 'epoch_out_of_window', 1]]);

  // parts due at different times count their own deliveries: the second part's first delivery is its first
  const later = recordsByTraceOf({ ...record, offset: '7' });
  await pipeline.exportBatch({ topic: 't', partition: 0, records: [later[1] as DeliveredRecord] }, control);
  await pipeline.exportBatch({ topic: 't', partition: 0, records: [later[1] as DeliveredRecord] }, control);
  await pipeline.exportBatch({ topic: 't', partition: 0, records: [later[2] as DeliveredRecord] }, control);
  assert.deepEqual(pipeline.unexportedLetters('t', later.slice(1), { reason: 'unexported_at_shutdown', message: 'stopped' }).map((l) => [l.reason, l.attempts]),
    [['epoch_out_of_window', 2], ['epoch_out_of_window', 1]]);

  // through the window: each poison span is dead-lettered on its third delivery, not sooner
  await handler.handle({ topic: 't', partition: 0, records: [{ ...record, offset: '1' }] }, control);
  await advance(t, 10_000, 50);
  assert.deepEqual(dlq.letters.map((l) => [l.reason, l.attempts]).sort(), [['epoch_out_of_window', 3], ['epoch_out_of_window', 3]]);
});

test('spans refused for good (no timestamp, a bad id) are dead-lettered at their first delivery, and their neighbours exported in the same call', async (t) => {
  const sink = new FakeSink();
  const { handler, dlq } = setUp(t, sink);
  const record = { ...listRecordOf([goodSpan(1), noTimestampSpan(2), badIdSpan(3)]), timestampMs: NOW_MS, partition: 0, offset: '0' };
  await handler.handle({ topic: 't', partition: 0, records: [record] }, control);
  await advance(t, 10_000, 50);
  assert.deepEqual(dlq.letters.map((l) => [l.reason, l.attempts]).sort(), [['invalid_id', 1], ['no_timestamp', 1]]);
  assert.deepEqual(sink.calls.map((call) => call.map((d) => (JSON.parse(d) as { id: string }).id)), [[hex(1, 16)]], 'one call, the good span');
});

test('a dead letter from one trace\'s part of a span list names its span by its index in the record as written, in its header and its message (found by review: both said spans[0])', async (t) => {
  const sink = new FakeSink();
  const { handler, dlq, pipeline } = setUp(t, sink);
  const [good, noTimestamp, badId] = [goodSpan, noTimestampSpan, badIdSpan];
  // items 0..3: two poison spans of two traces, each the first (index 0) of its trace's part
  const record = { ...listRecordOf([good(1), good(3), noTimestamp(2), badId(4)]), timestampMs: NOW_MS, partition: 0, offset: '0' };

  // a shutdown's letters for the whole record (the all-in-one's topic holds records, not parts) match the poison spans
  await pipeline.exportBatch({ topic: 't', partition: 0, records: recordsByTraceOf(record) }, control);
  const saved = pipeline.unexportedLetters('t', [record], { reason: 'unexported_at_shutdown', message: 'stopped' });
  assert.deepEqual(saved.map((l) => [l.record.headers[DEAD_LETTER_HEADERS.spanIndex], l.reason]),
    [['0', 'unexported_at_shutdown'], ['1', 'unexported_at_shutdown'], ['2', 'no_timestamp'], ['3', 'invalid_id']]);

  await handler.handle({ topic: 't', partition: 0, records: [{ ...record, offset: '1' }] }, control);
  await handler.handle({ topic: 't', partition: 0, records: [{ ...record, offset: '2' }] }, control);
  await advance(t, 10_000, 50);
  const letters = dlq.letters.filter((l) => l.record.offset === '2');
  assert.deepEqual(letters.map((l) => [l.record.headers[DEAD_LETTER_HEADERS.spanIndex], l.reason, /^spans\[(\d+)\]/.exec(l.message)?.[1]]).sort(),
    [['2', 'no_timestamp', '2'], ['3', 'invalid_id', '3']]);
  for (const l of letters) assert.equal((l.record as DeliveredRecord).sourceSpanIndexes, undefined, 'a dead letter is a whole record of one span');
});

test('an export from the timer that ends after its partition was revoked and assigned back neither hides the redelivered record nor commits past it (found by review: span b1 was lost)', async () => {
  let now = NOW_MS;
  const exported: string[] = [];
  let releaseA: ((r: BatchResult) => void) | undefined;
  // the pipeline port: the first export of trace A hangs (X-Ray throttles) until the test lets it give up
  const pipeline = {
    revoke() {}, committed() {},
    async exportBatch(batch: RecordBatch): Promise<BatchResult> {
      const ids = batch.records.flatMap((r) => { const d = decodeRecordSpans(r); return d.ok ? d.value.map((s) => s.id) : []; });
      if (releaseA === undefined && ids.includes('a1')) return new Promise((resolve) => { releaseA = resolve; });
      exported.push(...ids);
      return { doneThrough: batch.records.at(-1)?.offset ?? '', doneRecords: batch.records.length };
    },
  };
  const handler = new AssemblingHandler({
    window: { idleMs: 10, maxAgeMs: 60_000, maxSpans: 1000 }, pipeline: pipeline as never, metrics: createAssemblyMetrics(new Registry()),
    logger: silentLogger(), clock: () => now, tickMs: 1_000_000, fullPauseMs: 0, sleep: () => Promise.resolve(),
  });
  const commits: string[] = [];
  handler.attach({ commit: async (_partition, offset) => { commits.push(offset); }, isStable: () => true });
  handler.detach(); // ticks by hand
  const before = { heartbeat: async () => {}, isActive: () => true }; // a kafkajs payload outliving its rebalance
  const after = { heartbeat: async () => {}, isActive: () => true };
  const [A, B, C] = ['a', 'b', 'c'].map((c) => c.repeat(32)) as [string, string, string];
  const rec = (offset: number, spans: ReturnType<typeof spanOf>[]): DeliveredRecord => ({ ...listRecordOf(spans), partition: 0, offset: String(offset), timestampMs: 0 });
  const W = rec(4, [spanOf(C, 'c1', NOW_MS)]);
  const X = rec(5, [spanOf(A, 'a1', NOW_MS), spanOf(B, 'b1', NOW_MS)]); // one span-list record, two traces
  const Y = rec(6, [spanOf(B, 'b2', NOW_MS)]);

  await handler.handle({ topic: 't', partition: 0, records: [W, X] }, before);
  now += 8;
  await handler.handle({ topic: 't', partition: 0, records: [Y] }, before); // trace B stays active
  now += 4;
  const tick = handler.tick(); // traces A and C are due; A's export hangs
  await flush();
  assert.ok(releaseA, 'trace A is being exported');
  handler.revoke([0]); // a rebalance takes partition 0 away, and the next gives it back
  await handler.handle({ topic: 't', partition: 0, records: [W] }, after);
  releaseA({}); // the old export of A gives up
  await tick;
  now += 1;
  await handler.handle({ topic: 't', partition: 0, records: [X, Y] }, after); // X and Y delivered again
  now += 100;
  await handler.tick();
  assert.deepEqual([...new Set(exported)].sort(), ['a1', 'b1', 'b2', 'c1']);
  assert.equal(commits.at(-1), '6');
});

test('a trace whose documents are still in a revoked generation\'s call is exported by the next generation once that call fails, never committed past unexported (found by review: it was skipped as "sending" and lost)', async (t) => {
  let release: ((outcome: PutOutcome) => void) | undefined;
  class HangingFirstCall extends FakeSink {
    override async put(documents: readonly string[]): Promise<PutOutcome> {
      if (release === undefined) {
        this.calls.push([...documents]);
        return new Promise((resolve) => { release = resolve; }); // X-Ray throttles: still retrying
      }
      return super.put(documents);
    }
  }
  const sink = new HangingFirstCall();
  const { handler, commits } = setUp(t, sink);
  let oldRunning = true;
  const oldControl = { heartbeat: async () => {}, isActive: () => oldRunning };
  const records = requestRecords(5, 0).map((r) => ({ ...r, timestampMs: NOW_MS }));
  await handler.handle({ topic: 't', partition: 0, records }, oldControl);
  await advance(t, 5600, 10); // the tick exports the trace: its call hangs
  assert.ok(release, 'the first call is in flight');
  const firstCall = sink.calls[0] ?? [];
  // kafkajs restarts the consumer: the partition is revoked and comes back, refetched from the committed offset
  handler.revoke([0]);
  oldRunning = false;
  const newer = requestRecords(6, 8).map((r) => ({ ...r, timestampMs: NOW_MS + 10_000 }));
  // the receive-time watermark moved past the trace: due at once, its documents wait for the call in flight
  const second = handler.handle({ topic: 't', partition: 0, records: [...records, ...newer] }, control);
  await advance(t, 5600, 10);
  assert.deepEqual(commits, [], 'nothing committed while the first trace\'s fate is open');
  assert.equal(sink.calls.length, 1, 'its documents are not sent twice at once');
  release({ rejected: [], unfinished: { code: 'NOT_READY', message: 'export abandoned: partition revoked or consumer stopping', indices: firstCall.map((_, i) => i) } });
  await advance(t, 2000, 10);
  await second;
  await advance(t, 7000, 10);
  for (const document of firstCall) assert.ok(sink.accepted.includes(document), 'every document of the first trace reached X-Ray');
  assert.equal(commits.at(-1)?.[1], '15');
});
