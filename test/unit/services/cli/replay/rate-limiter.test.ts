import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../../../../services/cli/replay/rate-limiter.ts';

/** A clock that only moves when the limiter sleeps (or the test advances it). */
function fakeTime(startMs = 1_000_000) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => { now += ms; },
    sleep: async (ms: number) => { sleeps.push(ms); now += ms; },
    sleeps,
  };
}

test('a full bucket grants one second worth at once, then paces at the rate', async () => {
  const t = fakeTime();
  const limiter = new RateLimiter({ ratePerSecond: 100, now: t.now, sleep: t.sleep });
  await limiter.acquire(100);
  assert.deepEqual(t.sleeps, []);
  await limiter.acquire(50);
  assert.deepEqual(t.sleeps, [500]);
  await limiter.acquire(10);
  assert.deepEqual(t.sleeps, [500, 100]);
});

test('a request larger than the bucket is granted and paid back by waiting (debt)', async () => {
  const t = fakeTime();
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 10, now: t.now, sleep: t.sleep });
  await limiter.acquire(40);
  assert.deepEqual(t.sleeps, [3000]);
  assert.equal(Math.round(limiter.tokens), 0);
});

test('the long-run rate is the configured rate whatever the request sizes', async () => {
  const t = fakeTime();
  const limiter = new RateLimiter({ ratePerSecond: 2000, now: t.now, sleep: t.sleep });
  const start = t.now();
  let sent = 0;
  const sizes = [50, 1, 499, 1200, 7, 50, 50, 3000, 13];
  for (let i = 0; i < 200; i += 1) {
    const n = sizes[i % sizes.length] as number;
    await limiter.acquire(n);
    sent += n;
  }
  const seconds = (t.now() - start) / 1000;
  // burst of 2000 up front, then 2000/s (ceil() of each wait adds < 1 ms per call)
  assert.ok(Math.abs(sent - 2000 - seconds * 2000) <= 2000 * 0.2 + 1, `${sent} in ${seconds}s`);
});

test('idle time refills up to the burst, never beyond', async () => {
  const t = fakeTime();
  const limiter = new RateLimiter({ ratePerSecond: 100, burst: 100, now: t.now, sleep: t.sleep });
  await limiter.acquire(100);
  t.advance(60_000);
  assert.equal(limiter.tokens, 100);
  assert.equal(limiter.reserve(100), 0);
  assert.equal(limiter.reserve(1), 10);
});

test('a clock going backwards does not mint tokens; zero-size requests are free', async () => {
  const t = fakeTime();
  const limiter = new RateLimiter({ ratePerSecond: 10, now: t.now, sleep: t.sleep });
  await limiter.acquire(10);
  t.advance(-5000);
  assert.equal(limiter.reserve(0), 0);
  assert.equal(limiter.reserve(1), 100);
  await limiter.acquire(0);
  assert.throws(() => new RateLimiter({ ratePerSecond: 0, now: t.now, sleep: t.sleep }), /ratePerSecond/);
});
