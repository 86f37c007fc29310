import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LingeringSegmentSink } from '../../../../../../services/translator/export/stages/lingering-sink.ts';
import type { PutOutcome, SegmentSink } from '../../../../../../services/translator/export/segment-sink.ts';
import type { BatchControl } from '../../../../../../services/translator/consume/span-source.ts';
import { advance, flush } from '../../../../../support/mock-time.ts';

const recording = (answer: (docs: readonly string[]) => PutOutcome = () => ({ rejected: [] })): SegmentSink & { calls: string[][] } => {
  const calls: string[][] = [];
  return { calls, put: async (docs) => { calls.push([...docs]); return answer(docs); } };
};
const docs = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('puts arriving within the linger share one call; a short call waits exactly lingerMs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const inner = recording();
  const sink = new LingeringSegmentSink(inner, { lingerMs: 20, fullCallDocuments: 5 });
  let done = 0;
  const a = sink.put(['a0', 'a1']).then((o) => { done++; return o; });
  await advance(t, 10);
  const b = sink.put(['b0']).then((o) => { done++; return o; });
  await advance(t, 9);
  assert.deepEqual(inner.calls, [], 'nothing sent before the linger of the first put ran out');
  await advance(t, 1);
  assert.deepEqual(inner.calls, [['a0', 'a1', 'b0']]);
  await flush();
  assert.equal(done, 2);
  assert.deepEqual(await a, { rejected: [] });
  assert.deepEqual(await b, { rejected: [] });
});

test('whole calls go out at once; the remainder lingers and joins the next put', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const inner = recording();
  const sink = new LingeringSegmentSink(inner, { lingerMs: 20, fullCallDocuments: 5 });
  const a = sink.put(docs('a', 7));
  await flush();
  assert.deepEqual(inner.calls, [docs('a', 5)]);
  const b = sink.put(docs('b', 3));
  await flush();
  assert.deepEqual(inner.calls, [docs('a', 5), ['a5', 'a6', 'b0', 'b1', 'b2']], 'a full call again: no wait');
  assert.deepEqual(await a, { rejected: [] });
  assert.deepEqual(await b, { rejected: [] });
  await advance(t, 25);
  assert.equal(inner.calls.length, 2, 'no empty call when the timer would have fired');
});

test('each caller gets the rejected and unfinished documents of its own put, in its own indices', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const inner = recording((sent) => ({
    rejected: [{ index: sent.indexOf('b1'), code: 'SEGMENT_REJECTED', reason: 'InvalidId', message: 'bad' }],
    unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [sent.indexOf('a2'), sent.indexOf('b0')].sort((x, y) => x - y) },
  }));
  const sink = new LingeringSegmentSink(inner, { lingerMs: 5, fullCallDocuments: 50 });
  const a = sink.put(docs('a', 3));
  const b = sink.put(docs('b', 2));
  await advance(t, 5);
  assert.deepEqual(await a, { rejected: [], unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [2] } });
  assert.deepEqual(await b, {
    rejected: [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidId', message: 'bad' }],
    unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [0] },
  });
});

test('a put split over two calls merges both outcomes; a failing inner put rejects every caller in it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let call = 0;
  const inner: SegmentSink = {
    put: async (sent) => {
      call++;
      if (call === 3) throw new Error('boom');
      return { rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [sent.length - 1] } };
    },
  };
  const sink = new LingeringSegmentSink(inner, { lingerMs: 10, fullCallDocuments: 4 });
  const a = sink.put(docs('a', 6));
  await advance(t, 10);
  assert.deepEqual(await a, { rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [3, 5] } });
  const b = sink.put(docs('b', 3));
  await flush();
  const c = sink.put(docs('c', 1));
  await Promise.all([assert.rejects(b, /boom/), assert.rejects(c, /boom/)]);
  assert.equal(call, 3);
});

test('the joint control heartbeats every caller and is active only while all are', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const beats: string[] = [];
  let bActive = true;
  const control = (name: string, active: () => boolean): BatchControl => ({ heartbeat: async () => { beats.push(name); }, isActive: active });
  let seen: BatchControl | undefined;
  const sink = new LingeringSegmentSink({ put: async (_d, c) => { seen = c; await c?.heartbeat(); return { rejected: [] }; } }, { lingerMs: 3, fullCallDocuments: 50 });
  const puts = [sink.put(['a'], control('a', () => true)), sink.put(['b'], control('b', () => bActive))];
  await advance(t, 3);
  await Promise.all(puts);
  assert.deepEqual(beats.sort(), ['a', 'b']);
  assert.equal(seen?.isActive(), true);
  bActive = false;
  assert.equal(seen?.isActive(), false);
});

test('lingerMs 0 passes each put straight through', async () => {
  const inner = recording();
  const sink = new LingeringSegmentSink(inner, { lingerMs: 0, fullCallDocuments: 50 });
  await sink.put(['x']);
  await sink.put(['y']);
  assert.deepEqual(inner.calls, [['x'], ['y']]);
});
