import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../../../shared/edge/resilience/token-bucket.ts';

/** A clock that only moves when the bucket sleeps or the test advances it. */
function fakeTime(startMs = 1_000_000) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    nowMs: () => now,
    advance: (ms: number) => { now += ms; },
    sleep: async (ms: number) => { sleeps.push(ms); now += ms; },
    sleeps,
  };
}

test('take: grants at most what is there in whole tokens, then refills with time up to capacity', () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 10, nowMs: t.nowMs });
  assert.equal(bucket.take(4), 4);
  assert.equal(bucket.take(10), 6);
  assert.equal(bucket.take(1), 0);
  t.advance(250);
  assert.equal(bucket.take(5), 2);
  t.advance(10_000);
  assert.equal(bucket.take(50), 10);
});

test('acquire: a full bucket grants one second worth at once, then paces at the rate', async () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 100, nowMs: t.nowMs, sleep: t.sleep });
  await bucket.acquire(100);
  assert.deepEqual(t.sleeps, []);
  await bucket.acquire(50);
  assert.deepEqual(t.sleeps, [500]);
  await bucket.acquire(10);
  assert.deepEqual(t.sleeps, [500, 100]);
});

test('acquire: a request larger than the bucket is granted and paid back by waiting (debt); take grants nothing in debt', async () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 10, nowMs: t.nowMs, sleep: t.sleep });
  bucket.reserve(40);
  assert.equal(bucket.tokens, -30);
  assert.equal(bucket.take(1), 0);
  await bucket.acquire(0);
  assert.deepEqual(t.sleeps, []);
  t.advance(3000);
  assert.equal(Math.round(bucket.tokens), 0);
});

test('the long-run rate is the configured rate whatever the request sizes', async () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 2000, nowMs: t.nowMs, sleep: t.sleep });
  const start = t.nowMs();
  let sent = 0;
  const sizes = [50, 1, 499, 1200, 7, 50, 50, 3000, 13];
  for (let i = 0; i < 200; i += 1) {
    const n = sizes[i % sizes.length] as number;
    await bucket.acquire(n);
    sent += n;
  }
  const seconds = (t.nowMs() - start) / 1000;
  // a burst of 2000 up front, then 2000/s; ceil() of each wait adds < 1 ms per call
  assert.ok(Math.abs(sent - 2000 - seconds * 2000) <= 200 * 2 + 1, `${sent} in ${seconds}s`);
});

test('idle time refills up to the capacity, never beyond', () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 100, capacity: 100, nowMs: t.nowMs });
  assert.equal(bucket.reserve(100), 0);
  t.advance(60_000);
  assert.equal(bucket.tokens, 100);
  assert.equal(bucket.reserve(100), 0);
  assert.equal(bucket.reserve(1), 10);
});

test('a clock going backwards mints nothing, and time lost to it is not counted twice', () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 2, nowMs: t.nowMs });
  assert.equal(bucket.take(2), 2);
  t.advance(-500);
  assert.equal(bucket.take(1), 0);
  t.advance(1000); // 500 ms past the last reading: one token
  assert.equal(bucket.take(2), 1);
});

test('a rate below one per second still grants a whole token; a rate of 0 is refused', () => {
  const t = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 0.5, nowMs: t.nowMs });
  assert.equal(bucket.take(3), 1);
  assert.throws(() => new TokenBucket({ ratePerSecond: 0, nowMs: t.nowMs }), /ratePerSecond/);
});

test('acquire with the default sleep waits on a real timer (driven by mock timers)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const clock = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 1, nowMs: clock.nowMs });
  let done = false;
  const acquired = bucket.acquire(3).then(() => { done = true; });
  await Promise.resolve();
  t.mock.timers.tick(199);
  await Promise.resolve();
  assert.equal(done, false, 'still waiting off a debt of 2 tokens (200 ms)');
  t.mock.timers.tick(1);
  await acquired;
  assert.equal(done, true);
});

test('release gives back reserved tokens, up to the capacity and never beyond', () => {
  let now = 0;
  const bucket = new TokenBucket({ ratePerSecond: 2, capacity: 4, nowMs: () => now });
  assert.equal(bucket.reserve(10), 3_000, '6 tokens of debt at 2/s');
  bucket.release(10);
  assert.equal(bucket.tokens, 4, 'back to full, not 4 above it');
  assert.equal(bucket.reserve(6), 1_000);
  now = 500;
  bucket.release(3);
  assert.equal(bucket.tokens, 2, '-2 refilled by 1 token over 0.5 s, then 3 given back');
  bucket.release(0);
  bucket.release(-5);
  assert.equal(bucket.tokens, 2, 'nothing given back for a count of 0 or less');
});
