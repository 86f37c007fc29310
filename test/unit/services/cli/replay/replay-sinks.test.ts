/**
 * Replay runs the live translator's pipeline (createTranslator) with its own ports: skip-and-tally dead
 * letters, a counting sink. Driven here through a source that delivers one batch, as RangeSpanSource does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { DEAD_LETTER_HEADERS } from '../../../../../shared/core/span-record/headers.ts';
import { toSpanRecords } from '../../../../../shared/core/span-record/record.ts';
import type { DeliveredRecord } from '../../../../../shared/edge/transport/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { ReplayTally } from '../../../../../services/cli/replay/progress.ts';
import { NdjsonSegmentSink, TallyDeadLetterSink, TallySegmentSink } from '../../../../../services/cli/replay/replay-sinks.ts';
import {
  createTranslator, createTranslatorMetrics, type BatchHandler, type BatchResult, type PutOutcome, type SpanSource,
} from '../../../../../services/translator/index.ts';

const NOW_MS = Date.UTC(2024, 4, 1, 10);
const server = (i: number): Span => ({
  traceId: `4bf92f3577b34da6a3ce929d0e0e${String(4700 + i).padStart(4, '0')}`, id: `00f067aa0ba9${String(1000 + i).padStart(4, '0')}`,
  parentId: 'a3ce929d0e0e4736', kind: 'SERVER', name: 'get', timestampMicros: NOW_MS * 1000, durationMicros: 1000,
  localEndpoint: { serviceName: 'reviews' }, annotations: [], tags: {},
});
const delivered = (spans: readonly Span[]): DeliveredRecord[] =>
  toSpanRecords(spans, NOW_MS).map((r, i) => ({ ...r, partition: 0, offset: String(100 + i) }));

/** Replays one batch through the pipeline as `meshray replay` wires it; returns the handler's result. */
async function replayOne(records: readonly DeliveredRecord[], put: (docs: readonly string[]) => PutOutcome) {
  const tally = new ReplayTally();
  const calls: string[][] = [];
  let handler: BatchHandler | undefined;
  const source: SpanSource = { start: async (h) => { handler = h; }, stop: async () => undefined };
  const translator = createTranslator({
    config: DEFAULT_TRANSLATOR_CONFIG,
    source,
    sink: new TallySegmentSink({ put: async (docs) => { calls.push([...docs]); return put(docs); } }, tally),
    deadLetters: new TallyDeadLetterSink(tally),
    poisonMaxAttempts: 1,
    metrics: createTranslatorMetrics(new Registry()),
    logger: silentLogger(),
    clock: () => NOW_MS,
    failurePauseMs: 0,
  });
  await translator.start();
  const result: BatchResult = await (handler as BatchHandler).handle({ topic: 'meshray.spans.dlq', partition: 0, records }, { heartbeat: async () => undefined, isActive: () => true });
  return { tally, calls, result };
}

test('an undecodable record is skipped and tallied (reason avro, with its DLQ source), the rest exported; the batch is done', async () => {
  const records = delivered([server(1), server(2), server(3)]);
  records.splice(1, 0, { ...records[0]!, value: Buffer.from('garbage'), offset: '99', headers: { ...records[0]!.headers, [DEAD_LETTER_HEADERS.topic]: 'meshray.spans', [DEAD_LETTER_HEADERS.partition]: '4', [DEAD_LETTER_HEADERS.offset]: '7' } });
  const { tally, calls, result } = await replayOne(records, () => ({ rejected: [] }));
  assert.deepEqual(calls.map((c) => c.length), [3]);
  assert.equal(tally.documents, 3);
  assert.deepEqual(tally.skipped.map((s) => [s.kind, s.offset, s.reason, s.source]), [['undecodable', '99', 'avro', 'meshray.spans/4@7']]);
  assert.deepEqual(result, { doneThrough: '102', doneRecords: 4 });
});

test('documents X-Ray refuses are skipped by record; the batch is still done', async () => {
  const { tally, result } = await replayOne(delivered([server(1), server(2), server(3)]), () => ({ rejected: [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }] }));
  assert.equal(tally.documents, 2);
  assert.deepEqual(tally.skipped.map((s) => [s.kind, s.offset, s.reason]), [['rejected', '101', 'InvalidTraceId']]);
  assert.deepEqual(result, { doneThrough: '102', doneRecords: 3 });
});

test('documents not accepted after retries: nothing done, the failure says how many and from which offset', async () => {
  const { tally, result } = await replayOne(delivered([server(1), server(2), server(3)]), () => ({ rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'ECONNREFUSED', indices: [0, 1, 2] } }));
  assert.equal(result.doneThrough, undefined);
  assert.match(result.failure?.message ?? '', /^3 documents not accepted after retries \(partition 0, first at offset 100\): ECONNREFUSED$/);
  assert.equal(tally.documents, 0);
  assert.equal(tally.skippedTotal, 0);
});

test('a refused caller: the failure says X-Ray refused the caller, not the documents', async () => {
  const { result } = await replayOne(delivered([server(1)]), () => ({ rejected: [], unfinished: { code: 'XRAY_ACCESS_DENIED', message: 'AccessDeniedException: no', indices: [0] } }));
  assert.match(result.failure?.message ?? '', /^X-Ray refused the caller, not the documents \(partition 0, first at offset 100\): AccessDeniedException: no$/);
});

test('--dry-run writes one document per line and accepts all', async () => {
  const chunks: string[] = [];
  const out = { write: (chunk: string, cb?: (err?: Error | null) => void) => { chunks.push(chunk); cb?.(null); return true; } } as unknown as NodeJS.WritableStream;
  assert.deepEqual(await new NdjsonSegmentSink(out).put(['{"a":1}', '{"b":2}']), { rejected: [] });
  assert.deepEqual(chunks, ['{"a":1}\n{"b":2}\n']);
});

test('a skipped span of a span list names its index; a dead letter read back from the DLQ names only its source (found by review: "span 2" of a one-span record)', async () => {
  const tally = new ReplayTally();
  const [record] = delivered([server(1)]);
  assert.ok(record);
  const ofList = { ...record, headers: { ...record.headers, [DEAD_LETTER_HEADERS.spanIndex]: '2' } };
  const fromDlq = { ...record, offset: '5', headers: { ...record.headers, [DEAD_LETTER_HEADERS.topic]: 'meshray.spans', [DEAD_LETTER_HEADERS.partition]: '2', [DEAD_LETTER_HEADERS.offset]: '41', [DEAD_LETTER_HEADERS.spanIndex]: '2' } };
  await new TallyDeadLetterSink(tally).send([ofList, fromDlq].map((r) => ({ topic: 't', record: r, code: 'SPAN_UNTRANSLATABLE' as const, reason: 'no_timestamp', attempts: 1, message: 'm' })));
  assert.deepEqual(tally.skipped.map((s) => [s.offset, s.spanIndex, s.source]), [[record.offset, 2, undefined], ['5', undefined, 'meshray.spans/2@41#2']]);
});

test('a dead letter read back from the DLQ names its span by the index its source record had, as capture does (newcomer trial: capture said spans[3], replay spans[0])', async () => {
  const tally = new ReplayTally();
  const [record] = delivered([server(1)]);
  assert.ok(record);
  const fromDlq = { ...record, headers: { ...record.headers, [DEAD_LETTER_HEADERS.topic]: 'meshray.spans', [DEAD_LETTER_HEADERS.partition]: '0', [DEAD_LETTER_HEADERS.offset]: '7', [DEAD_LETTER_HEADERS.spanIndex]: '3' } };
  const whole = { ...record, offset: '9' };
  const message = 'spans[0].timestamp: is absent (Zipkin allows it; X-Ray needs start_time)';
  await new TallyDeadLetterSink(tally).send([fromDlq, whole].map((r) => ({ topic: 't', record: r, code: 'SPAN_UNTRANSLATABLE' as const, reason: 'no_timestamp', attempts: 1, message })));
  // an OTLP rejection quotes its export request's path: left as it is (found by review)
  const otlp = 'resourceSpans[0].scopeSpans[0].spans[0]: span is too old';
  await new TallyDeadLetterSink(tally).send([{ topic: 't', record: fromDlq, code: 'SEGMENT_REJECTED' as const, reason: 'too_old', attempts: 1, message: otlp }]);
  assert.deepEqual(tally.skipped.map((s) => s.message), ['spans[3].timestamp: is absent (Zipkin allows it; X-Ray needs start_time)', message, otlp]);
});
