import { setFlagsFromString } from 'node:v8';

/**
 * Sets V8's old-generation growing factor for this process: after each mark-compact, the next one is due
 * when the old generation reaches `(1 + percent / 100)` × what survived (V8's `--heap-growing-percent`;
 * 0 = V8's own dynamic factor, 1.1–4 from its measured GC and mutator speeds, v8/src/heap/heap-controller.cc).
 * The factor is read each time V8 recomputes the limit, so setting it at start-up takes effect (unlike the
 * young generation's size, services/cli/node-options.ts); it is process-wide, including in-process tests.
 * V8 never lets the limit pass halfway between what survived and the heap's maximum (`--max-old-space-size`).
 *
 * Why (docs/sizing.md §12): with a 32 MiB young generation V8 starts incremental marking
 * once the old generation comes within a young generation's size of its limit, and with its dynamic factor
 * on a ≈ 30 MB live set that is ≈ 10 MB of promotions away: in some receiver processes a mark-compact every
 * few hundred ms, with 8–12 ms pauses and incremental steps of up to 24 ms on the main thread.
 *
 * @param percent 0–1000 (the config schema bounds it).
 * @returns the value set, for the start-up log line.
 */
export function setHeapGrowingPercent(percent: number): number {
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) throw new RangeError(`heap growing percent must be an integer 0–1000, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
