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
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter: { reserve: (n) => { acquired.push(n); return 0; }, release: () => undefined }, sleep: async () => undefined, sliceDocuments: 2 });
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
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter: { reserve: () => 0, release: () => undefined }, sleep: async () => undefined, sliceDocuments: 2 });
  const outcome = await sink.put(docs(7));
  assert.equal(inner.calls.length, 2, 'stops at the first slice not taken');
  assert.deepEqual(outcome.rejected.map((r) => r.index), [0, 3]);
  assert.deepEqual(outcome.unfinished, { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [2, 4, 5, 6] });
});

test('with a TokenBucket: documents beyond the rate wait their tokens on the clock', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const at: number[] = [];
  const inner = recording(() => { at.push(Date.now()); return { rejected: [] }; });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const limiter = new TokenBucket({ ratePerSecond: 10, nowMs: Date.now, sleep });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sleep, sliceDocuments: 10 });
  await drive(t, sink.put(docs(30)), 5_000);
  // The bucket starts full (10): the first slice goes at once, each next one waits 10 tokens (1 s) of debt off.
  assert.deepEqual(at, [0, 1_000, 2_000]);
});

test('a long wait for tokens (--rate 0.5) heartbeats at least once a second, so the consumer keeps its group membership (found by review: kicked out after 98 s)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const at: number[] = [];
  const inner = recording(() => { at.push(Date.now()); return { rejected: [] }; });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const limiter = new TokenBucket({ ratePerSecond: 0.5, nowMs: Date.now, sleep });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sleep, sliceDocuments: 50 });
  const beats: number[] = [];
  await drive(t, sink.put(docs(60), { heartbeat: async () => { beats.push(Date.now()); }, isActive: () => true }), 200_000);
  assert.equal(at.length, 2);
  assert.equal(at[1], 118_000, 'the second slice waited the first one\'s 49 tokens of debt and its own 10, at 0.5/s');
  const gaps = beats.map((b, i) => b - (beats[i - 1] ?? 0));
  assert.ok(Math.max(...gaps) <= 1_000, `heartbeats at most 1 s apart while waiting (longest gap ${Math.max(...gaps)} ms)`);
});

test('once the source is no longer active (Ctrl-C, a revoke) no further slice is sent: the rest are unfinished (NOT_READY), even mid-wait (found by review: replay ignored Ctrl-C for minutes)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const inner = recording(() => ({ rejected: [] }));
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const limiter = new TokenBucket({ ratePerSecond: 1, nowMs: Date.now, sleep });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sleep, sliceDocuments: 2 });
  let active = true;
  setTimeout(() => { active = false; }, 1_500);
  const outcome = await drive(t, sink.put(docs(6), { heartbeat: async () => undefined, isActive: () => active }), 10_000);
  assert.deepEqual(inner.calls.map((c) => c.length), [2], 'only the slice sent before the stop');
  assert.equal(outcome.unfinished?.code, 'NOT_READY');
  assert.deepEqual(outcome.unfinished?.indices, [2, 3, 4, 5]);
  assert.ok(Date.now() < 3_000, `gave up within a wait step of the stop, not after the slice's whole wait (at ${Date.now()} ms)`);
});

test('a slice abandoned while waiting for its tokens gives them back: the batch redelivered after the revoke waits only its own debt (found by review)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const at: number[] = [];
  const inner = recording(() => { at.push(Date.now()); return { rejected: [] }; });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const limiter = new TokenBucket({ ratePerSecond: 1, capacity: 1, nowMs: Date.now, sleep });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sleep, sliceDocuments: 10 });
  let active = true;
  setTimeout(() => { active = false; }, 2_500);
  // 10 documents against a bucket of 1: 9 s of debt; the revoke comes 2.5 s in
  const abandoned = await drive(t, sink.put(docs(10), { heartbeat: async () => undefined, isActive: () => active }), 10_000);
  assert.equal(abandoned.unfinished?.code, 'NOT_READY');
  assert.deepEqual(inner.calls, [], 'nothing was sent');
  const stoppedAt = Date.now();
  // The same 10 documents again (the redelivery): 3 s have refilled 3 tokens of the 9 owed when they were given back,
  // so the bucket holds 1 (its capacity) and this put waits 9 s, not the 6 s left of the old debt plus 9 s.
  await drive(t, sink.put(docs(10), { heartbeat: async () => undefined, isActive: () => true }), 30_000);
  assert.equal(at.length, 1);
  assert.equal((at[0] ?? 0) - stoppedAt, 9_000, 'the redelivered slice waited its own 9 s of debt, not the abandoned one\'s');
});

test('a heartbeat that throws while a slice waits for its tokens gives them back and passes the error on (a rebalance abandons the batch like a revoke)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const at: number[] = [];
  const inner = recording(() => { at.push(Date.now()); return { rejected: [] }; });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const limiter = new TokenBucket({ ratePerSecond: 1, capacity: 1, nowMs: Date.now, sleep });
  const sink = new RateLimitedSegmentSink(inner.sink, { limiter, sleep, sliceDocuments: 10 });
  const rebalancing = new Error('The group is rebalancing, so a rejoin is needed');
  let beats = 0;
  const failing = sink.put(docs(10), { heartbeat: async () => { beats += 1; if (beats === 3) throw rebalancing; }, isActive: () => true });
  const settled = failing.then(() => undefined, (error: unknown) => error);
  await drive(t, settled, 10_000);
  assert.equal(await settled, rebalancing, 'the heartbeat error reaches the caller');
  assert.deepEqual(inner.calls, [], 'nothing was sent');
  const stoppedAt = Date.now();
  await drive(t, sink.put(docs(10), { heartbeat: async () => undefined, isActive: () => true }), 30_000);
  assert.equal(at.length, 1);
  assert.equal((at[0] ?? 0) - stoppedAt, 9_000, 'the redelivered slice waited its own 9 s of debt, not the abandoned one\'s');
});
