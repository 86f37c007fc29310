/**
 * The assembly window's memory under overload (issue 13): simulator traffic offered faster than traces go
 * idle, ASSEMBLY_MAX_SPANS=100k. Prints the spans held (never above the bound), the heap they take, and the
 * RSS of the process, after 300k records, and that offsets keep moving: each partition's commit point (what a
 * translator may commit) is taken after every flush, and the bench counts how often and how far it advanced,
 * and what the commit point costs per record offered (it scanned every pending offset before: 9.5 µs/record,
 * 39 % of the window's time here; services/translator/assemble/pending-offsets.ts).
 */
import { toSpanRecord, type DeliveredRecord } from '../shared/core/span-record/record.ts';
import { AssemblyWindow } from '../services/translator/assemble/assembly-window.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS } from '../services/simulator/index.ts';
import type { BenchFigure } from './translate.bench.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection before each heap reading (`npm run bench` runs without --expose-gc: garbage was counted as held). */
function collector(): () => void {
  if (globalThis.gc) return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const MAX_SPANS = 100_000;
const RECORDS = 300_000;

export function runAssemblyBench(): BenchFigure[] {
  const prng = createPrng(3);
  const window = new AssemblyWindow({ idleMs: 5500, maxAgeMs: 30_000, maxSpans: MAX_SPANS });
  const gc = collector();
  gc();
  const before = process.memoryUsage();
  let offset = 0;
  let maxHeld = 0;
  /** Per partition: the offset (inclusive) committed through; advances: how many times one moved forward. */
  const committedThrough: number[] = [];
  let advances = 0;
  let commitPointMs = 0;
  const startMs = Date.parse('2026-11-29T12:00:00Z');
  for (let i = 0; offset < RECORDS; i += 1) {
    const nowMs = startMs + Math.floor(i / 10); // 10k requests/s: nothing goes idle, only pressure flushes
    for (const { span } of generateRequest(prng, nowMs * 1000, i, DEFAULT_GENERATE_OPTIONS).spans) {
      const record: DeliveredRecord = { ...toSpanRecord(span, nowMs), partition: i % 6, offset: String(offset++) };
      window.offer(record, nowMs);
    }
    if (i % 100 === 0) {
      for (const d of window.takeDue(nowMs)) window.finished(d.records, d.generation);
      for (let partition = 0; partition < 6; partition += 1) {
        const started = performance.now();
        const through = window.commitPoint(partition);
        commitPointMs += performance.now() - started;
        if (through === undefined) continue;
        window.committed(partition, through);
        if (Number(through) > (committedThrough[partition] ?? -1)) advances += 1;
        committedThrough[partition] = Number(through);
      }
    }
    maxHeld = Math.max(maxHeld, window.spans);
  }
  gc();
  const after = process.memoryUsage();
  const heldMb = (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / 1024 / 1024;
  const held = window.spans;
  return [
    { name: `assembly window under overload: most spans held (ASSEMBLY_MAX_SPANS=${MAX_SPANS})`, value: maxHeld, unit: 'spans', target: `<= ${MAX_SPANS} + one batch (~700)` },
    { name: `assembly window under overload: heap and buffers held by the window (${held} spans at the end)`, value: Math.round(heldMb), unit: 'MB' },
    { name: 'assembly window under overload: process RSS', value: Math.round(process.memoryUsage().rss / 1024 / 1024), unit: 'MB' },
    { name: 'assembly window under overload: times a partition\'s commit point advanced (offsets keep moving)', value: advances, unit: `in ${Math.ceil(RECORDS / 700)} flushes × 6 partitions` },
    { name: 'assembly window under overload: lowest commit point at the end (offsets are global here)', value: Math.min(...committedThrough), unit: `of ${RECORDS} offered` },
    { name: 'assembly window under overload: commit point, wall time per record offered', value: Number((commitPointMs * 1000 / RECORDS).toFixed(3)), unit: 'µs/record' },
  ];
}
