import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stallFiguresOf } from '../../../../bench/compare/receiver.ts';
import type { OpenLoopMeasured } from '../../../../bench/compare/open-loop.ts';

const at = Date.parse('2026-12-01T15:43:50.000Z');
const measured: OpenLoopMeasured = {
  spansPerS: 10_000, cpuUsPerSpan: {}, fromEpochMs: at - 10_000, toEpochMs: at + 10_000,
  result: {
    requests: 40_000, ok: 40_000, failed: 0, seconds: 20, p50Ms: 5, p99Ms: 90, p999Ms: 150, maxMs: 160, maxOutstanding: 300,
    stalls: [{ atEpochMs: at + 50, spanMs: 160, worstMs: 160, requests: 300 }, { atEpochMs: at + 5_000, spanMs: 40, worstMs: 40, requests: 20 }],
    generatorLags: [{ atEpochMs: at + 5_010, lateMs: 12 }],
  },
};

test('stallFiguresOf names each stall with the broker pause behind it and the generator\'s lateness', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-gc-'));
  try {
    const gcLog = join(dir, 'gc.log');
    writeFileSync(gcLog, '[2026-12-01T15:43:50.120+0000][0.373s] Safepoint "G1CollectForAllocation", Time since last: 1 ns, Reaching safepoint: 1 ns, Cleanup: 1 ns, At safepoint: 1 ns, Total: 53018075 ns\n');
    const figures = stallFiguresOf('open-loop', measured, gcLog);
    const text = figures.map((f) => `${f.name}: ${f.value} ${f.unit}`).join('\n');
    assert.match(text, /stalls \(answers over 20 ms\), worst first: 2 stalls: 160 ms at 15:43:50\.050 \(300 slow, broker paused 53 ms: G1CollectForAllocation, generator on time\); 40 ms at 15:43:55\.000 \(20 slow, no broker pause ≥ 5 ms, generator 12 ms late\)/);
    assert.match(text, /stalls with a broker pause ≥ 5 ms behind them: 1 of 2/);
    assert.match(text, /broker stop-the-world pauses during the run: 1 pauses, 1 ≥ 5 ms, 1 ≥ 20 ms, longest 53 ms/);
    const unlogged = stallFiguresOf('open-loop', measured, join(dir, 'missing.log')).map((f) => `${f.name}: ${f.unit}`).join('\n');
    assert.match(unlogged, /broker pauses not logged/);
    assert.doesNotMatch(unlogged, /behind them/, 'no "0 of N" without a log');
    assert.doesNotMatch(unlogged, /receiver GC/, 'no receiver GC figures without a timeline');
    const timeline = join(dir, 'receiver-gc.txt');
    // a 14 ms mark-compact inside the first stall; a 1.5 ms scavenge (under 2 ms) in the second; one before the run
    writeFileSync(timeline, `${at + 100} 14.25 major\n${at + 5_010} 1.50 minor\n${at - 20_000} 30.00 major\n`);
    const withGc = stallFiguresOf('open-loop', measured, gcLog, timeline).map((f) => `${f.name}: ${f.value} ${f.unit}`).join('\n');
    assert.match(withGc, /160 ms at 15:43:50\.050 \(300 slow, broker paused 53 ms: G1CollectForAllocation, receiver GC 14\.3 ms \(major\), generator on time\)/);
    assert.match(withGc, /40 ms at 15:43:55\.000 \(20 slow, no broker pause ≥ 5 ms, no receiver GC ≥ 2 ms, generator 12 ms late\)/);
    assert.match(withGc, /stalls with a receiver GC pause ≥ 2 ms behind them: 1 of 2/);
    assert.match(withGc, /receiver GC pauses during the run: 2 pauses ≥ 1 ms, 1 ≥ 5 ms, 1 ≥ 10 ms, longest 14\.3 ms/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
