import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GC_TIMELINE_PRELOAD, gcPauses, gcPausesOf } from '../../../../bench/support/gc-timeline.ts';

test('gcPausesOf reads `<start ms> <duration ms> <kind>` lines and skips others', () => {
  assert.deepEqual(gcPausesOf('1764600000000.5 12.25 major\nnoise\n\n1764600000100.0 1.10 minor\n'), [
    { startEpochMs: 1764600000000.5, totalMs: 12.25, operation: 'major' },
    { startEpochMs: 1764600000100, totalMs: 1.1, operation: 'minor' },
  ]);
  assert.deepEqual(gcPauses(undefined), []);
});

test('the preload logs a child process\'s own collections on the wall clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-gc-timeline-'));
  try {
    const file = join(dir, 'gc.txt');
    const before = Date.now();
    // Full collections forced by the child (--expose-gc), each ≥ 1 ms with a heap of live arrays to mark.
    const script = 'const keep = Array.from({ length: 300000 }, (_, i) => [i, String(i)]); for (let i = 0; i < 5; i++) gc(); setTimeout(() => console.log(keep.length), 50);';
    execFileSync(process.execPath, ['--expose-gc', '--import', GC_TIMELINE_PRELOAD, '-e', script], { env: { ...process.env, BENCH_GC_TIMELINE: file } });
    const after = Date.now();
    const pauses = gcPauses(file);
    assert.ok(pauses.some((p) => p.operation === 'major'), `a major collection logged: ${JSON.stringify(pauses)}`);
    for (const p of pauses) assert.ok(p.startEpochMs >= before - 1 && p.startEpochMs <= after, `on the wall clock: ${p.startEpochMs} in [${before}, ${after}]`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
