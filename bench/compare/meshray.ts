/** Starts a meshray service (`meshray <command>` through tsx) pinned to one core, for the compare sections. */
import { createWriteStream, writeFileSync } from 'node:fs';
import { GC_TIMELINE_PRELOAD } from '../support/gc-timeline.ts';
import { freePort, waitHttpOk } from '../support/processes.ts';
import { nodeFlagsOf, spawnService } from '../support/services.ts';
import type { CompareTarget } from './measure.ts';

export interface MeshrayProcess extends CompareTarget {
  readonly port: number;
  readonly output: () => string;
}

/**
 * `meshray <command>` on `core` through spawnService (LOG_LEVEL=warn, the command's default NODE_OPTIONS as
 * deployed, BENCH_CPU_PROF), with the environment `envOf` gives for `port` (it must make the service listen
 * there); resolves once `<url>/health/ready` answers. BENCH_RECEIVER_NODE_FLAGS='…' (space-separated) puts node
 * flags on its command line (V8 flags NODE_OPTIONS refuses, such as `--no-parallel-scavenge`);
 * BENCH_SCRATCH_STDOUT=<file> copies its stdout there (e.g. with `--trace-gc`). BENCH_RECEIVER_GC_TIMELINE=<file>
 * makes the receiver log its GC pauses there on the wall clock (bench/support/gc-timeline.ts); the file is
 * emptied first.
 */
export async function startMeshray(label: string, command: string, core: number,
  envOf: (port: number) => Record<string, string>): Promise<MeshrayProcess> {
  const port = await freePort();
  const timeline = command === 'receiver' ? process.env['BENCH_RECEIVER_GC_TIMELINE'] : undefined;
  if (timeline) writeFileSync(timeline, '');
  const flags = [...nodeFlagsOf(process.env['BENCH_RECEIVER_NODE_FLAGS']), ...(timeline ? ['--import', GC_TIMELINE_PRELOAD] : [])];
  const service = spawnService(label, command, port, { ...envOf(port), ...(timeline ? { BENCH_GC_TIMELINE: timeline } : {}) }, core, flags);
  const copyTo = process.env['BENCH_SCRATCH_STDOUT'];
  if (copyTo) service.child.stdout?.pipe(createWriteStream(copyTo));
  const output = (): string => service.output;
  await waitHttpOk(`${service.url}/health/ready`, service.child, 90_000, output);
  return { label, url: service.url, port, child: service.child, output, pids: { [label]: service.child.pid } };
}

/** The sum of a Prometheus metric over its label sets, read from `<url>/metrics`. */
/**
 * A Prometheus histogram's cumulative bucket counts (`le` in seconds → count, +Inf included), summed over label
 * sets, or only those whose labels include `label` (e.g. `kind="major"`).
 */
export async function bucketsOf(url: string, name: string, label?: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || (label !== undefined && !line.includes(label))) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/**
 * Between two scrapes of one histogram (bucketsOf): how many observations, and the upper bound (s) of the bucket
 * holding each q-quantile (so "p99 ≤ 0.025 s"); NaN when nothing was observed.
 */
export function bucketQuantiles(before: Map<number, number>, after: Map<number, number>, qs: readonly number[]): { count: number; bounds: number[] } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const count = cumulative.at(-1) ?? 0;
  return { count, bounds: qs.map((q) => (count === 0 ? NaN : bounds[cumulative.findIndex((c) => c >= q * count)] ?? NaN)) };
}

export async function metricOf(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
