import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketQuantiles } from '../../../../bench/compare/meshray.ts';

test('bucketQuantiles gives the upper bound of the bucket holding each quantile of the observations between two scrapes', () => {
  const before = new Map([[0.001, 10], [0.005, 20], [0.025, 20], [Infinity, 20]]);
  // 100 more observations: 50 up to 1 ms, 45 in (1, 5] ms, 3 in (5, 25] ms, 2 above
  const after = new Map([[0.001, 60], [0.005, 115], [0.025, 118], [Infinity, 120]]);
  const { count, bounds } = bucketQuantiles(before, after, [0.5, 0.95, 0.98, 0.99]);
  assert.equal(count, 100);
  assert.deepEqual(bounds, [0.001, 0.005, 0.025, Infinity]);
});

test('bucketQuantiles gives NaN when nothing was observed', () => {
  const same = new Map([[0.01, 3], [Infinity, 3]]);
  assert.deepEqual(bucketQuantiles(same, same, [0.99]), { count: 0, bounds: [NaN] });
});
