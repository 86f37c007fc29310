/**
 * A partition's epoch cache under receive-time clocks that go backwards: Kafka record timestamps need not rise
 * with the offset (a receiver holds a record past ACK_TIMEOUT while others append; receivers' clocks differ).
 * Each step is the pipeline's (epochs/receive-clocks.ts: receiveClocksOf, sweep at the batch's oldest clock, epochStoreAt),
 * one record per batch, a 64-bit Envoy trace id (its X-Ray epoch comes from the cache, or is minted anew).
 * Found by review: both sequences split the trace in X-Ray.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { DEFAULT_TRANSLATOR_CONFIG, epochStoreAt } from '../../../../../shared/core/xray/index.ts';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { PartitionEpochs } from '../../../../../services/translator/epochs/partition-epochs.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { receiveClocksOf } from '../../../../../services/translator/epochs/receive-clocks.ts';
import { BatchTranslator } from '../../../../../services/translator/translate/translate-batch.ts';
import { spanOf } from '../support.ts';

const NOW_MS = Date.UTC(2026, 11, 2, 12, 0, 0);
const RECEIVED_MS = NOW_MS - 10 * 60_000; // a 10-minute lag: receive time, not processing time, decides

/** The X-Ray trace id each [trace id, span id, receive second] record gets, batch by batch. */
async function idsOf(records: readonly (readonly [string, string, number])[]): Promise<string[]> {
  const epochs = new PartitionEpochs({ ttlMs: 60_000, maxEntries: 1000 });
  const translator = new BatchTranslator({ config: DEFAULT_TRANSLATOR_CONFIG, metrics: createTranslatorMetrics(new Registry()), logger: silentLogger() });
  const ids: string[] = [];
  for (const [traceId, id, second] of records) {
    const span = spanOf(traceId, id, RECEIVED_MS + second * 1000);
    const clocks = receiveClocksOf([span], [RECEIVED_MS + second * 1000], NOW_MS);
    const local = epochs.forPartition(0);
    local.sweep(clocks.oldestMs);
    const out = await translator.translate([span], epochStoreAt(local, clocks.of), NOW_MS);
    ids.push(out.documents[0]?.traceId ?? '');
  }
  return ids;
}

const TRACE = 'a1b2c3d4e5f60718';

test('a record received earlier but delivered later does not shorten its trace\'s entry (received at 0, 50, 20, 100 s: every gap under EPOCH_TTL)', async () => {
  const ids = await idsOf([[TRACE, '0000000000000001', 0], [TRACE, '0000000000000003', 50], [TRACE, '0000000000000002', 20], [TRACE, '0000000000000004', 100]]);
  assert.equal(new Set(ids).size, 1, ids.join(' '));
});

test('a sweep at a later batch\'s clock keeps an entry that an older clock still sees alive (a trace at 0 s, another at 70 s, the first again at 30 s)', async () => {
  const ids = await idsOf([[TRACE, '0000000000000001', 0], ['ffffffffffffff01', '00000000000000ff', 70], [TRACE, '0000000000000002', 30]]);
  assert.equal(ids[0], ids[2]);
});

test('a trace quiet for longer than EPOCH_TTL (in receive time) is still forgotten', async () => {
  const ids = await idsOf([[TRACE, '0000000000000001', 0], [TRACE, '0000000000000002', 50], ['ffffffffffffff01', '00000000000000ff', 200], [TRACE, '0000000000000003', 262]]);
  assert.equal(ids[0], ids[1]);
  assert.notEqual(ids[1]?.slice(0, 10), ids[3]?.slice(0, 10), 'a new epoch after a gap over EPOCH_TTL');
});
