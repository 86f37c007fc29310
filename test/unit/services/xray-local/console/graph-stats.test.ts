import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthOf, percentileSec, statsOf } from '../../../../../services/xray-local/console/src/graph-stats.ts';

const summary = (ok: number, otherError: number, throttle: number, fault: number, totalResponseTime: number) => ({
  OkCount: ok,
  ErrorStatistics: { ThrottleCount: throttle, OtherCount: otherError, TotalCount: throttle + otherError },
  FaultStatistics: { OtherCount: fault, TotalCount: fault },
  TotalCount: ok + otherError + throttle + fault,
  TotalResponseTime: totalResponseTime,
});

test('p95 is the nearest-rank value of the millisecond histogram', () => {
  assert.equal(percentileSec([], 0.95), undefined);
  assert.equal(percentileSec([{ Value: 0.01, Count: 1 }], 0.95), 0.01);
  const histogram = [{ Value: 0.2, Count: 5 }, { Value: 0.001, Count: 90 }, { Value: 0.05, Count: 5 }];
  assert.equal(percentileSec(histogram, 0.95), 0.05);
  assert.equal(percentileSec(histogram, 0.96), 0.2);
  assert.equal(percentileSec(histogram, 0.5), 0.001);
});

test('rates, mean over timed requests, and health by failure share', () => {
  const stats = statsOf(summary(90, 4, 2, 4, 10), [{ Value: 0.1, Count: 96 }, { Value: 0.5, Count: 4 }]);
  assert.equal(stats.total, 100);
  assert.equal(stats.faultRate, 0.04);
  assert.equal(stats.errorRate, 0.04);
  assert.equal(stats.throttleRate, 0.02);
  assert.equal(stats.avgMs, 100);
  assert.equal(stats.p95Ms, 100);
  assert.equal(stats.health, 'bad');
  // In-progress requests are counted but not timed: the mean divides by timed requests only.
  assert.equal(statsOf(summary(3, 0, 0, 0, 0.3), [{ Value: 0.1, Count: 2 }, { Value: 0.1, Count: 1 }]).avgMs?.toFixed(3), '100.000');
  assert.equal(statsOf(undefined, undefined).health, 'idle');
});

test('health thresholds: green below 1%, amber below 5%, red from 5%', () => {
  assert.equal(healthOf(0, 10), 'ok');
  assert.equal(healthOf(0.0099, 10), 'ok');
  assert.equal(healthOf(0.01, 10), 'warn');
  assert.equal(healthOf(0.049, 10), 'warn');
  assert.equal(healthOf(0.05, 10), 'bad');
  assert.equal(healthOf(0, 0), 'idle');
});

test('remote nodes: callees without segments; they say they were not traced', async () => {
  const { isRemoteNode, nodeTypeLabel } = await import('../../../../../services/xray-local/console/src/graph-stats.ts');
  assert.equal(isRemoteNode({ Type: 'remote' }), true);
  assert.equal(isRemoteNode({ Type: 'service' }), false);
  assert.equal(isRemoteNode({ Type: 'AWS::EKS::Container' }), false, 'a traced service\'s origin');
  assert.equal(nodeTypeLabel({ Type: 'remote' }), 'remote · not traced');
  assert.equal(nodeTypeLabel({ Type: 'service' }), 'service');
});
