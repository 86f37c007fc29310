import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphStatistics } from '../../../../../services/xray-local/graph/graph-statistics.ts';
import { percentileSec, statsOf } from '../../../../../services/xray-local/console/src/graph-stats.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';

const call = (startSec: number, seconds: number): SegmentDocument =>
  ({ name: 'svc-a', id: '0000000000000001', trace_id: '1-5f000000-000000000000000000000001', start_time: startSec, end_time: startSec + seconds }) as SegmentDocument;

test('the response-time histogram files each time at its 0.1 ms bucket\'s upper bound: percentiles never understate', () => {
  const stats = new GraphStatistics();
  stats.add(call(1_600_000_000.25, 0.0015));
  const histogram = stats.histogram();
  assert.deepEqual(histogram, [{ Value: 0.0015, Count: 1 }]);
  const shown = statsOf(stats.summary(), histogram);
  assert.ok(shown.p95Ms !== undefined && shown.avgMs !== undefined);
  assert.ok(Math.abs(shown.p95Ms - 1.5) < 1e-9 && Math.abs(shown.avgMs - 1.5) < 1e-3 && shown.p95Ms >= shown.avgMs - 1e-3, `${shown.p95Ms} / ${shown.avgMs}`);
  assert.equal(percentileSec([{ Value: 0.001, Count: 19 }, { Value: 0.0042, Count: 1 }], 0.95), 0.001);
  // identical 1.54 ms calls: filed at 1.6 ms (rounding filed them at 1.5, under every one of them)
  const same = new GraphStatistics();
  for (let i = 0; i < 10; i++) same.add(call(1_600_000_000 + i, 0.00154));
  assert.deepEqual(same.histogram(), [{ Value: 0.0016, Count: 10 }]);
  const p95 = percentileSec(same.histogram(), 0.95) ?? 0;
  assert.ok(p95 * 1000 >= (statsOf(same.summary(), same.histogram()).avgMs ?? Infinity) - 1e-6);
});
