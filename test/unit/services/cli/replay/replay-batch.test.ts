import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../../../shared/log/index.ts';
import type { DeliveredRecord } from '../../../../../shared/transport/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/xray/index.ts';
import type { Span } from '../../../../../shared/zipkin/span.ts';
import { DEAD_LETTER_HEADERS } from '../../../../../shared/span-record/headers.ts';
import { toSpanRecords } from '../../../../../shared/span-record/record.ts';
import { PartitionEpochs } from '../../../../../services/translator/epochs/partition-epochs.ts';
import type { PutOutcome } from '../../../../../services/translator/export/segment-sink.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { BatchTranslator } from '../../../../../services/translator/translate/translate-batch.ts';
import { ReplayTally } from '../../../../../services/cli/replay/progress.ts';
import { replayBatch, type ReplayBatchOptions } from '../../../../../services/cli/replay/replay-batch.ts';

const NOW_MS = Date.UTC(2024, 4, 1, 10);
const server = (i: number): Span => ({
  traceId: `4bf92f3577b34da6a3ce929d0e0e${String(4700 + i).padStart(4, '0')}`, id: `00f067aa0ba9${String(1000 + i).padStart(4, '0')}`,
  parentId: 'a3ce929d0e0e4736', kind: 'SERVER', name: 'get', timestampMicros: NOW_MS * 1000, durationMicros: 1000,
  localEndpoint: { serviceName: 'reviews' }, annotations: [], tags: {},
});
const delivered = (spans: readonly Span[]): DeliveredRecord[] =>
  toSpanRecords(spans, NOW_MS).map((r, i) => ({ ...r, partition: 0, offset: String(100 + i) }));

function options(put: (docs: readonly string[]) => PutOutcome, sliceDocuments?: number) {
  const metrics = createTranslatorMetrics(new Registry());
  const calls: string[][] = [];
  const acquired: number[] = [];
  const o: ReplayBatchOptions = {
    translator: new BatchTranslator({ config: DEFAULT_TRANSLATOR_CONFIG, metrics, logger: silentLogger() }),
    epochs: new PartitionEpochs({ ttlMs: 60_000, maxEntries: 100 }),
    sink: { put: async (docs) => { calls.push([...docs]); return put(docs); } },
    limiter: { acquire: async (n) => { acquired.push(n); } },
    tally: new ReplayTally(),
    clock: () => NOW_MS,
    ...(sliceDocuments === undefined ? {} : { sliceDocuments }),
  };
  return { o, calls, acquired };
}

test('decodes, translates and puts in rate-limited slices; an undecodable record is counted, not sent', async () => {
  const records = delivered([server(1), server(2), server(3)]);
  records.splice(1, 0, { ...records[0]!, value: Buffer.from('garbage'), offset: '99', headers: { ...records[0]!.headers, [DEAD_LETTER_HEADERS.topic]: 'meshray.spans', [DEAD_LETTER_HEADERS.partition]: '4', [DEAD_LETTER_HEADERS.offset]: '7' } });
  const { o, calls, acquired } = options(() => ({ rejected: [] }), 2);
  let beats = 0;
  await replayBatch(o, 0, records, { heartbeat: async () => { beats += 1; }, isActive: () => true });
  assert.deepEqual(calls.map((c) => c.length), [2, 1]);
  assert.deepEqual(acquired, [2, 1]);
  assert.equal(beats, 1);
  assert.equal(o.tally.records, 4);
  assert.equal(o.tally.spans, 3);
  assert.equal(o.tally.documents, 3);
  assert.deepEqual(o.tally.skipped.map((s) => [s.kind, s.offset, s.source]), [['undecodable', '99', 'meshray.spans/4@7']]);
});

test('documents X-Ray refuses are reported by record; unfinished ones abort with the first offset', async () => {
  const records = delivered([server(1), server(2), server(3)]);
  const refused = options((docs) => ({ rejected: docs.length > 1 ? [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }] : [] }), 2);
  await replayBatch(refused.o, 0, records);
  assert.equal(refused.o.tally.documents, 2);
  assert.deepEqual(refused.o.tally.skipped.map((s) => [s.kind, s.offset, s.reason]), [['rejected', '101', 'InvalidTraceId']]);

  const down = options((docs) => (docs.length === 1 ? { rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'ECONNREFUSED', indices: [0] } } : { rejected: [] }), 1);
  await assert.rejects(replayBatch(down.o, 0, records), /3 documents not accepted after retries \(partition 0, first at offset 100\): ECONNREFUSED/);
  assert.equal(down.calls.length, 1, 'stops at the first slice not taken');
  assert.equal(down.o.tally.documents, 0);
});
