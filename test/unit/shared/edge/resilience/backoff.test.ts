import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterDelayMs } from '../../../../../shared/edge/resilience/backoff.ts';

const policy = { baseMs: 100, maxMs: 5000 };
/** The largest value Math.random can return. */
const almostOne = () => 1 - Number.EPSILON;

test('the ceiling doubles from baseMs per retry and stops at maxMs', () => {
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 50, 5000].map((retry) => fullJitterDelayMs(retry, policy, almostOne) + 1);
  assert.deepEqual(ceilings, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
});

test('full jitter: the delay is uniform from 0 (a random of 0 gives no wait)', () => {
  assert.equal(fullJitterDelayMs(4, policy, () => 0), 0);
  assert.equal(fullJitterDelayMs(4, policy, () => 0.5), 400);
  assert.equal(fullJitterDelayMs(4, policy, () => 0.25), 200);
});

test('retry 0 or below counts as the first retry; whole milliseconds', () => {
  assert.equal(fullJitterDelayMs(0, policy, () => 0.999), 99);
  assert.equal(fullJitterDelayMs(-3, { baseMs: 3, maxMs: 10 }, () => 0.5), 1);
});
