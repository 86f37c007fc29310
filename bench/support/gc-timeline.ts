/**
 * A service's own garbage-collection pauses on the wall clock, for lining them up with the receiver's slow
 * answers (bench/compare/receiver.ts). BENCH_RECEIVER_GC_TIMELINE=<file> makes the compare bench start its
 * receiver with `--import bench/support/gc-timeline-preload.mjs`, which appends one line per pause of at
 * least 1 ms to that file: `<start, ms since the epoch> <duration ms> <kind>` (perf_hooks `gc` entries:
 * minor = scavenge, major = mark-compact, incremental = a marking step, weakcb = weak callbacks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Safepoint } from './jvm-safepoints.ts';

/** The preload's path, for `--import`. */
export const GC_TIMELINE_PRELOAD = fileURLToPath(new URL('./gc-timeline-preload.mjs', import.meta.url));

/** The pauses in a timeline file's text, as Safepoint-shaped pauses (`operation` = the kind), in file order. */
export function gcPausesOf(text: string): Safepoint[] {
  const out: Safepoint[] = [];
  for (const line of text.split('\n')) {
    const [start, duration, kind] = line.split(' ');
    const startEpochMs = Number(start);
    const totalMs = Number(duration);
    if (kind !== undefined && Number.isFinite(startEpochMs) && Number.isFinite(totalMs)) out.push({ startEpochMs, totalMs, operation: kind });
  }
  return out;
}

/** The pauses logged in the file at `path`; none when there is no such file. */
export function gcPauses(path: string | undefined): Safepoint[] {
  return path !== undefined && existsSync(path) ? gcPausesOf(readFileSync(path, 'utf8')) : [];
}
