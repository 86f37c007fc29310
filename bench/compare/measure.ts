/**
 * One load point against one server: wrk (pinned to the load core) posts the Envoy bodies for a warm-up, then
 * for the measured window; CPU of each of the target's processes comes from /proc/<pid>/stat before and after
 * the window, divided by the spans answered 2xx. A fixed rate is wrk's per-connection `delay`, corrected once
 * from the warm-up's achieved rate (wrk waits the delay after each answer, so latency slows it).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSplitOf, threadCpuOf } from '../support/processes.ts';
import { writeWrkScript } from './bodies.ts';
import { runWrk, type WrkResult } from './wrk.ts';

/** A server under test: its URL, its process (killed at the end), and every process whose CPU counts. */
export interface CompareTarget {
  readonly label: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** label → pid; each is reported on its own line (e.g. receiver and kafka broker). */
  readonly pids: Readonly<Record<string, number | undefined>>;
}

export interface LoadSettings {
  readonly bodies: readonly string[];
  readonly spansPerBody: number;
  readonly loadCore: number;
  /** Connections for saturation (fixed rates use `rateConnections`). */
  readonly connections: number;
  readonly rateConnections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

export interface Measured {
  /** undefined: saturation. */
  readonly targetSpansPerS: number | undefined;
  readonly spans: number;
  readonly seconds: number;
  readonly spansPerS: number;
  /** pid label → µs of CPU per span accepted. */
  readonly cpuUsPerSpan: Readonly<Record<string, number>>;
  /** pid label → the part of cpuUsPerSpan spent in the kernel (system time). */
  readonly systemUsPerSpan: Readonly<Record<string, number>>;
  /**
   * pid label → the part of cpuUsPerSpan spent on the process' main thread (its tid is its pid); the rest is its
   * other threads (for Node: V8's helpers, which scavenge, mark and sweep beside the main thread, and libuv's pool).
   */
  readonly mainThreadUsPerSpan: Readonly<Record<string, number>>;
  readonly wrk: WrkResult;
}

const SCRATCH = fileURLToPath(new URL('../.scratch/compare/', import.meta.url));

function scriptFor(settings: LoadSettings, delayMs: number | undefined): string {
  mkdirSync(SCRATCH, { recursive: true });
  const path = join(SCRATCH, `wrk-${process.pid}-${delayMs === undefined ? 'max' : Math.round(delayMs)}.lua`);
  writeWrkScript(path, settings.bodies, delayMs);
  return path;
}

const acceptedRequests = (r: WrkResult): number => Math.max(0, r.requests - r.non2xx - r.socketErrors);

/** Saturation (`spansPerS` undefined) or a fixed rate of spans/s. */
export async function measure(target: CompareTarget, settings: LoadSettings, spansPerS?: number): Promise<Measured> {
  const url = target.url;
  const fixed = spansPerS !== undefined;
  const connections = fixed ? settings.rateConnections : settings.connections;
  const requestsPerS = fixed ? spansPerS / settings.spansPerBody : 0;
  const nominalDelayMs = fixed ? (connections * 1000) / requestsPerS : undefined;
  const warm = await runWrk({ url, script: scriptFor(settings, nominalDelayMs), core: settings.loadCore, connections, seconds: settings.warmupSeconds });
  let delayMs = nominalDelayMs;
  if (nominalDelayMs !== undefined && warm.requests > 0) {
    const achieved = warm.requests / (warm.durationUs / 1e6);
    const perRequestOverheadMs = (connections * 1000) / achieved - nominalDelayMs;
    delayMs = Math.max(0, nominalDelayMs - perRequestOverheadMs);
  }
  const script = scriptFor(settings, delayMs);
  const mainThreadOf = (pid: number | undefined): number => {
    const t = pid === undefined ? undefined : threadCpuOf(pid).get(pid);
    return t === undefined ? 0 : t.user + t.system;
  };
  const before = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, cpuSplitOf(pid)]));
  const mainBefore = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, mainThreadOf(pid)]));
  const wrk = await runWrk({ url, script, core: settings.loadCore, connections, seconds: settings.seconds });
  const after = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, cpuSplitOf(pid)]));
  const mainAfter = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, mainThreadOf(pid)]));
  const spans = acceptedRequests(wrk) * settings.spansPerBody;
  const seconds = wrk.durationUs / 1e6;
  const cpuUsPerSpan: Record<string, number> = {};
  const systemUsPerSpan: Record<string, number> = {};
  const mainThreadUsPerSpan: Record<string, number> = {};
  const perSpan = (s: number): number => (s * 1e6) / Math.max(1, spans);
  for (const k of Object.keys(target.pids)) {
    const [a, b] = [after[k] ?? { user: 0, system: 0 }, before[k] ?? { user: 0, system: 0 }];
    cpuUsPerSpan[k] = perSpan(a.user + a.system - b.user - b.system);
    systemUsPerSpan[k] = perSpan(a.system - b.system);
    mainThreadUsPerSpan[k] = perSpan((mainAfter[k] ?? 0) - (mainBefore[k] ?? 0));
  }
  return { targetSpansPerS: spansPerS, spans, seconds, spansPerS: spans / seconds, cpuUsPerSpan, systemUsPerSpan, mainThreadUsPerSpan, wrk };
}
