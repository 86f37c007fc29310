import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedSegmentSink } from '../../../../../services/translator/export/rate-limited-sink.ts';
import type { PutOutcome, SegmentSink } from '../../../../../services/translator/export/segment-sink.ts';
import { TokenBucket } from '../../../../../shared/edge/resilience/token-bucket.ts';
import { drive } from '../../../../support/mock-time.ts';

const docs = (n: number): string[] => Array.from({ length: n }, (_, i) => `{"id":"${i}"}`);

function recording(answer: (slice: readonly string[]) => PutOutcome): { sink: SegmentSink; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, sink: { put: async (slice) => { calls.push([...slice]); return answer(slice); } } };
}

test('puts in slices, taking one token per document before each and heartbeating between them', async () => {
  const inner = recording(() => ({ rejected: [] }));
  const acquired: number[] = [];
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter: { acquire: async (n) => { acquired.push(n); } }, sliceDocuments: 2 });
  let beats = 0;
  const outcome = await sink.put(docs(5), { heartbeat: async () => { beats += 1; }, isActive: () => true });
  assert.deepEqual(inner.calls.map((c) => c.length), [2, 2, 1]);
  assert.deepEqual(inner.calls.flat(), docs(5));
  assert.deepEqual(acquired, [2, 2, 1]);
  assert.equal(beats, 2);
  assert.deepEqual(outcome, { rejected: [] });
});

test('rejections keep their index into the whole put; the first slice not taken leaves the rest unfinished', async () => {
  const inner = recording((slice) => (slice[0] === '{"id":"2"}'
    ? { rejected: [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [0] } }
    : { rejected: [{ index: 0, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }] }));
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter: { acquire: async () => undefined }, sliceDocuments: 2 });
  const outcome = await sink.put(docs(7));
  assert.equal(inner.calls.length, 2, 'stops at the first slice not taken');
  assert.deepEqual(outcome.rejected.map((r) => r.index), [0, 3]);
  assert.deepEqual(outcome.unfinished, { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [2, 4, 5, 6] });
});

test('with a TokenBucket: documents beyond the rate wait their tokens on the clock', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const at: number[] = [];
  const inner = recording(() => { at.push(Date.now()); return { rejected: [] }; });
  const limiter = new TokenBucket({ ratePerSecond: 10, nowMs: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sliceDocuments: 10 });
  await drive(t, sink.put(docs(30)), 5_000);
  // The bucket starts full (10): the first slice goes at once, each next one waits 10 tokens (1 s) of debt off.
  assert.deepEqual(at, [0, 1_000, 2_000]);
});
