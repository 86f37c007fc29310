import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setHeapGrowingPercent } from '../../../../../shared/edge/runtime/heap-growing.ts';

const MODULE = new URL('../../../../../shared/edge/runtime/heap-growing.ts', import.meta.url).href;

/**
 * Mark-compacts a child process runs (V8's --trace-gc lines) for a ≈ 60 MB live set and a stream of
 * objects that live through young-generation collections (promoted garbage), after setting the factor.
 * The young generation is pinned small (`--max-semi-space-size=4`): left to size itself, Node 24's V8
 * sometimes grew it enough for the stream to die young, nothing was promoted, and the factor had nothing to
 * act on (3 vs 3 mark-compacts in some runs, 8–9 vs 3 in others; docs/sizing.md §12).
 */
async function markCompacts(percent: number): Promise<number> {
  const script = `
    const { setHeapGrowingPercent } = await import(${JSON.stringify(MODULE)});
    setHeapGrowingPercent(${percent});
    const live = []; for (let i = 0; i < 600000; i++) live.push({ i, s: 'v' + i, a: [i, i] });
    const ring = new Array(200000);
    for (let i = 0; i < 4000000; i++) ring[i % ring.length] = { a: i, b: [i, i + 1], c: 'k' + i };
    console.log('kept', live.length + ring.length);`;
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--trace-gc', '--max-semi-space-size=4', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.match(out, /kept 800000/);
  return out.split('\n').filter((line) => line.includes('Mark-Compact') && !line.includes('(reduce)')).length;
}

test('the growing factor set at start-up changes how often V8 mark-compacts (1.1× vs 4× what survived)', async () => {
  const [tight, loose] = await Promise.all([markCompacts(10), markCompacts(300)]);
  // Here: 36 vs 3 on Node 20.20 (V8 11.3), 32–34 vs 3 on Node 24.22 (V8 13.6).
  assert.ok(tight >= 2 * loose && tight >= loose + 3, `mark-compacts at 10 % (${tight}) are at least twice, and 3 more than, those at 300 % (${loose})`);
});

test('a percent outside 0–1000 or not an integer is refused before V8 sees it', () => {
  assert.throws(() => setHeapGrowingPercent(-1), RangeError);
  assert.throws(() => setHeapGrowingPercent(1001), RangeError);
  assert.throws(() => setHeapGrowingPercent(2.5), /integer 0–1000, got 2.5/);
  assert.equal(setHeapGrowingPercent(0), 0);
});
