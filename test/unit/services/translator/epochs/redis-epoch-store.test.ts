import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAIL_FAST_REDIS_OPTIONS, REDIS_RECONNECT_BACKOFF, redisRetryStrategy } from '../../../../../services/translator/epochs/redis-epoch-store.ts';

test('the Redis reconnect delay is the shared full-jitter backoff: ceilings 200, 400, 800 ms … capped at 5 s', () => {
  const highest = redisRetryStrategy(REDIS_RECONNECT_BACKOFF, () => 0.9999);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map(highest), [199, 399, 799, 1599, 3199, 4999, 4999, 4999]);
  const half = redisRetryStrategy(REDIS_RECONNECT_BACKOFF, () => 0.5);
  assert.deepEqual([1, 2, 6].map(half), [100, 200, 2500]);
});

test('a drawn delay of 0 ms becomes 1 ms, so a reconnect loop on a dead Redis always pauses', () => {
  const lowest = redisRetryStrategy(REDIS_RECONNECT_BACKOFF, () => 0);
  assert.deepEqual([1, 2, 10].map(lowest), [1, 1, 1]);
});

test('every RedisEpochStore client (translator, meshray replay) reconnects with that backoff, drawn from Math.random', (t) => {
  t.mock.method(Math, 'random', () => 0.9999);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 20].map((times) => FAIL_FAST_REDIS_OPTIONS.retryStrategy(times)), [199, 399, 799, 1599, 3199, 4999, 4999]);
});
