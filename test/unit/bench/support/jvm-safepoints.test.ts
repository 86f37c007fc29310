import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pausesBehind, safepointsOf } from '../../../../bench/support/jvm-safepoints.ts';

// Lines as a Kafka 4.1 broker on JDK 17 wrote them with -Xlog:gc,safepoint:file=…:time,uptime (tools/kafka/kafka.mjs).
const LOG = [
  '[2026-12-01T15:43:49.740+0000][0.008s] Using G1',
  '[2026-12-01T15:43:50.106+0000][0.373s] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->4M(130M) 52.709ms',
  '[2026-12-01T15:43:50.106+0000][0.373s] Safepoint "G1CollectForAllocation", Time since last: 261224571 ns, Reaching safepoint: 8356 ns, Cleanup: 102344 ns, At safepoint: 52907375 ns, Total: 53018075 ns',
  '[2026-12-01T15:43:50.335+0000][0.603s] Safepoint "Cleanup", Time since last: 222723454 ns, Reaching safepoint: 3186 ns, Cleanup: 31450 ns, At safepoint: 6655 ns, Total: 669029 ns',
].join('\n');

test('safepointsOf reads each safepoint with its wall-clock start and total', () => {
  const points = safepointsOf(LOG);
  assert.equal(points.length, 2);
  assert.equal(points[0]?.operation, 'G1CollectForAllocation');
  assert.equal(points[0]?.totalMs, 53.018075);
  assert.equal(points[0]?.startEpochMs, Date.parse('2026-12-01T15:43:50.106Z') - 53.018075);
  assert.equal(points[1]?.totalMs, 0.669029);
});

test('pausesBehind names the longest pause of at least minMs overlapping each stall, or none', () => {
  const points = safepointsOf(LOG);
  const end = Date.parse('2026-12-01T15:43:50.106Z');
  const [during, long, before] = pausesBehind([
    { atEpochMs: end - 10, spanMs: 60, worstMs: 60, requests: 3 },
    { atEpochMs: end + 5_000, spanMs: 300, worstMs: 300, requests: 9 },
    { atEpochMs: end + 15, spanMs: 30, worstMs: 30, requests: 1 },
  ], points, 5, 20);
  assert.equal(during?.operation, 'G1CollectForAllocation');
  assert.equal(long, undefined);
  assert.equal(before?.totalMs, 53.018075);
});
