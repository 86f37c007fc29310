import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../../../services/xray-local/throttle/token-bucket.ts';

test('grants at most the burst, then refills with time up to capacity', () => {
  const bucket = new TokenBucket({ ratePerSecond: 10 });
  assert.equal(bucket.take(4, 0), 4);
  assert.equal(bucket.take(10, 0), 6);
  assert.equal(bucket.take(1, 0), 0);
  assert.equal(bucket.take(5, 250), 2);
  assert.equal(bucket.take(50, 10_000), 10);
});

test('a clock going backwards grants nothing extra', () => {
  const bucket = new TokenBucket({ ratePerSecond: 2 });
  assert.equal(bucket.take(2, 1000), 2);
  assert.equal(bucket.take(1, 500), 0);
  assert.equal(bucket.take(1, 1500), 1);
});
