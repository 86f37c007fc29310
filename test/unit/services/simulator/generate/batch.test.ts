import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SidecarBatcher, type SpanBatch } from '../../../../../services/simulator/generate/batch.ts';
import { createPrng } from '../../../../../services/simulator/generate/prng.ts';
import { DEFAULT_GENERATE_OPTIONS, generateRequest } from '../../../../../services/simulator/generate/request.ts';
import { FLAVOURS, spansForRoundRobin } from '../../../../../services/simulator/generate/flavour.ts';
import { WAYPOINTS, WORKLOADS } from '../../../../../services/simulator/generate/topology.ts';

test('batches hold at most 5 spans of ONE workload; drain returns the rest; no span lost or duplicated', () => {
  for (const flavour of FLAVOURS) {
    const prng = createPrng(3);
    const batcher = new SidecarBatcher();
    const batches: SpanBatch[] = [];
    const generated: string[] = [];
    const workloadOf = new Map<string, string>();
    for (let i = 0; i < 50; i++) {
      const r = generateRequest(prng, 1_700_000_000_000_000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour });
      for (const e of r.spans) {
        generated.push(e.span.id);
        workloadOf.set(e.span.id, e.workload);
        const b = batcher.add(e.workload, i % 2, e.span, 0);
        if (b !== undefined) {
          assert.equal(b.spans.length, 5, 'a full batch has exactly min_flush_spans');
          batches.push(b);
        }
      }
    }
    const drained = batcher.drain();
    assert.ok(drained.every((b) => b.spans.length >= 1 && b.spans.length < 5));
    batches.push(...drained);
    assert.equal(batcher.bufferedSpans, 0);
    const nodeIds = new Map([...WORKLOADS, ...Object.values(WAYPOINTS)].map((w) => [w.name, w.nodeId]));
    for (const b of batches) {
      assert.ok(b.spans.length <= 5);
      for (const s of b.spans) {
        assert.equal(workloadOf.get(s.id), b.workload);
        assert.equal(s.tags['node_id'], nodeIds.get(b.workload), 'every span of a batch comes from the same proxy');
      }
    }
    const sent = batches.flatMap((b) => b.spans.map((s) => s.id));
    assert.equal(sent.length, spansForRoundRobin(flavour, 50));
    assert.deepEqual([...sent].sort(), [...generated].sort());
  }
});

test('a partial batch is flushed once the flush interval has passed since its first span', () => {
  const batcher = new SidecarBatcher({ maxSpans: 5, flushIntervalMs: 1000 });
  const span = { traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} };
  assert.equal(batcher.add('details-v1', 0, span, 10_000), undefined);
  assert.equal(batcher.add('details-v1', 0, { ...span, id: '2'.repeat(16) }, 10_500), undefined);
  assert.equal(batcher.add('ratings-v1', 1, { ...span, id: '3'.repeat(16) }, 10_900), undefined);
  assert.deepEqual(batcher.due(10_999), []);
  const due = batcher.due(11_000);
  assert.equal(due.length, 1);
  assert.equal(due[0]?.workload, 'details-v1');
  assert.equal(due[0]?.spans.length, 2);
  assert.deepEqual(batcher.due(11_899), []);
  assert.deepEqual(batcher.due(11_900).map((b) => b.workload), ['ratings-v1']);
  assert.equal(batcher.bufferedSpans, 0);
});

test('workers of one sidecar buffer separately', () => {
  const batcher = new SidecarBatcher({ maxSpans: 2 });
  const span = { traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} };
  assert.equal(batcher.add('details-v1', 0, span, 0), undefined);
  assert.equal(batcher.add('details-v1', 1, span, 0), undefined);
  assert.equal(batcher.add('details-v1', 0, span, 0)?.spans.length, 2);
});
