import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetTracesCommand, PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { SegmentStore } from '../../../../../services/xray-local/store/segment-store.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import { counterValue, startXRayLocal } from '../../../../support/xray-local.ts';
import { EPOCH_SEC, hexId, segmentDoc, segmentJson, traceId, NOW_MS } from '../segment-docs.ts';

const put = (store: SegmentStore, fields: Record<string, unknown>) => {
  const doc = segmentDoc(fields) as unknown as SegmentDocument;
  return store.put(doc, JSON.stringify(doc), 0);
};

describe('SegmentStore', () => {
  test('a full store evicting thousands of traces keeps its arrival and epoch orders right (queue and lazy epoch index, compacted)', () => {
    const store = new SegmentStore({ maxSegments: 500 });
    const idOf = (n: number, epochSec: number): string => `1-${epochSec.toString(16).padStart(8, '0')}-${n.toString(16).padStart(24, '0')}`;
    const epochOf = (n: number): number => EPOCH_SEC - 300 + (n % 50) * 2; // arrivals out of epoch order
    for (let n = 0; n < 5000; n += 1) {
      for (let s = 0; s < 2; s += 1) {
        const doc = segmentDoc({ trace_id: idOf(n, epochOf(n)), id: hexId(n * 2 + s + 1) }) as unknown as SegmentDocument;
        store.put(doc, JSON.stringify(doc), n);
      }
    }
    assert.equal(store.segmentCount, 500);
    const live = Array.from({ length: 250 }, (_, i) => 4750 + i);
    assert.deepEqual([...store.traces()].map((t) => t.traceId), live.map((n) => idOf(n, epochOf(n))), 'oldest arrival first');
    const byEpoch = store.tracesByTraceIdEpoch(EPOCH_SEC - 300, EPOCH_SEC);
    assert.deepEqual(new Set(byEpoch.map((t) => t.traceId)), new Set(live.map((n) => idOf(n, epochOf(n)))), 'only traces still held');
    assert.deepEqual(byEpoch.map((t) => t.traceIdEpochSec), [...byEpoch.map((t) => t.traceIdEpochSec)].sort((a, b) => a - b));
    assert.deepEqual(store.tracesByTraceIdEpoch(EPOCH_SEC - 300, EPOCH_SEC - 299).map((t) => t.traceId), live.filter((n) => n % 50 === 0).map((n) => idOf(n, epochOf(n))));
  });

  test('evicts the traces seen first once past the bound', () => {
    const store = new SegmentStore({ maxSegments: 3 });
    put(store, { trace_id: traceId(1), id: hexId(1) });
    put(store, { trace_id: traceId(1), id: hexId(2) });
    put(store, { trace_id: traceId(2), id: hexId(3) });
    const outcome = put(store, { trace_id: traceId(3), id: hexId(4) });
    assert.deepEqual(outcome, { overwritten: false, evictedTraces: 1, evictedSegments: 2 });
    assert.equal(store.get(traceId(1)), undefined);
    assert.deepEqual([...store.traces()].map((t) => t.traceId), [traceId(2), traceId(3)]);
    assert.equal(store.segmentCount, 2);
  });

  test('an overwrite does not grow the store', () => {
    const store = new SegmentStore({ maxSegments: 1 });
    put(store, { id: hexId(1), end_time: EPOCH_SEC + 2 });
    const outcome = put(store, { id: hexId(1), end_time: EPOCH_SEC + 3 });
    assert.deepEqual(outcome, { overwritten: true, evictedTraces: 0, evictedSegments: 0 });
    assert.equal(store.get(traceId(1))?.segments.get(hexId(1))?.parsed.end_time, EPOCH_SEC + 3);
  });

  test('finds traces by trace-id epoch, inclusive', () => {
    const store = new SegmentStore({ maxSegments: 100 });
    for (const offset of [30, 10, 20, 10]) put(store, { trace_id: traceId(offset + store.traceCount, EPOCH_SEC + offset) });
    const found = (from: number, to: number) => store.tracesByTraceIdEpoch(EPOCH_SEC + from, EPOCH_SEC + to).map((t) => t.traceIdEpochSec - EPOCH_SEC);
    assert.deepEqual(found(10, 20), [10, 10, 20]);
    assert.deepEqual(found(11, 29.5), [20]);
    assert.deepEqual(found(31, 40), []);
  });

  test('through the API: the bound evicts and is counted', async () => {
    const h = await startXRayLocal({ maxSegments: 3, nowMs: () => NOW_MS });
    try {
      const docs = [1, 2, 3, 4].map((n) => segmentJson({ trace_id: traceId(n), id: hexId(n) }));
      await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs }));
      const result = await h.client.send(new BatchGetTracesCommand({ TraceIds: [1, 2, 3, 4].map((n) => traceId(n)) }));
      assert.deepEqual(result.UnprocessedTraceIds, [traceId(1)]);
      assert.equal(await counterValue(h.registry, 'meshray_xray_local_traces_evicted_total'), 1);
      assert.equal(await counterValue(h.registry, 'meshray_xray_local_stored_segments'), 3);
    } finally {
      await h.close();
    }
  });
});
