/**
 * An open-loop load generator: coordinated-omission-corrected POST latency at a fixed rate (what wrk2 does;
 * wrk2 is not in Debian, and wrk's per-connection `delay` is closed-loop: a stalled server slows wrk down and
 * the requests it never sent are never counted).
 *
 * Request i is due at t0 + i / rate, whatever happened to the others; its latency runs from that intended
 * send time to the end of its answer, so a stall counts against every request it delayed (waiting for a free
 * connection included). Connections are a keep-alive pool (`connections`, more than the rate ever needs at
 * the target latencies); the scheduler wakes every millisecond and sends everything due. A closed connection
 * fails its request and leaves the pool (if every connection closes, the run cannot finish: a bench tool for a
 * healthy receiver, not a fault injector).
 *
 * Run as a child process pinned to the load core (`runOpenLoop` below spawns it): argv[2] is a JSON file of
 * OpenLoopJob; it prints one JSON line (OpenLoopResult) on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSplitOf } from '../support/processes.ts';
import type { CompareTarget, LoadSettings } from './measure.ts';

export interface OpenLoopJob {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly requestsPerS: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface OpenLoopResult {
  /** Requests due in the measured window (all of them are waited for). */
  readonly requests: number;
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  /** Latency from the intended send time, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Most requests waiting for an answer at once (a stall shows here too). */
  readonly maxOutstanding: number;
  /** The worst stalls (slowWindowsOf), worst first: when they began (epoch ms) and how bad they were. */
  readonly stalls: readonly Stall[];
  /**
   * The generator's own lateness: its scheduler ticks that ran more than GENERATOR_LAG_MS late (its core
   * busy with something else, e.g. the broker pinned beside it). A stall that starts in one is at least
   * partly the generator's, not the server's.
   */
  readonly generatorLags: readonly { readonly atEpochMs: number; readonly lateMs: number }[];
}

/** A scheduler tick this much later than due counts as the generator's own lag. */
export const GENERATOR_LAG_MS = 10;

/** Requests answered slower than STALL_MS whose intended send times lie within STALL_GAP_MS of each other. */
export interface Stall {
  /** Intended send time of its first slow request, ms since the epoch. */
  readonly atEpochMs: number;
  /** From that time to the answer of its last slow request. */
  readonly spanMs: number;
  readonly worstMs: number;
  readonly requests: number;
}

/** A request slower than this counts toward a stall (the p99 goal at 10k spans/s). */
export const STALL_MS = 20;
const STALL_GAP_MS = 50;

/**
 * Slow requests (`intendedEpochMs`, `latencyMs`, in intended order) grouped into stalls: a request joins the
 * stall before it when its intended time is within `gapMs` of that stall's last one. The `limit` worst, worst first.
 */
export function slowWindowsOf(slow: readonly { intendedEpochMs: number; latencyMs: number }[], gapMs = STALL_GAP_MS, limit = 10): Stall[] {
  const stalls: { atEpochMs: number; lastEpochMs: number; endEpochMs: number; worstMs: number; requests: number }[] = [];
  for (const r of slow) {
    const last = stalls.at(-1);
    if (last !== undefined && r.intendedEpochMs - last.lastEpochMs <= gapMs) {
      last.lastEpochMs = r.intendedEpochMs;
      last.endEpochMs = Math.max(last.endEpochMs, r.intendedEpochMs + r.latencyMs);
      last.worstMs = Math.max(last.worstMs, r.latencyMs);
      last.requests += 1;
    } else {
      stalls.push({ atEpochMs: r.intendedEpochMs, lastEpochMs: r.intendedEpochMs, endEpochMs: r.intendedEpochMs + r.latencyMs, worstMs: r.latencyMs, requests: 1 });
    }
  }
  return stalls.sort((a, b) => b.worstMs - a.worstMs).slice(0, limit)
    .map((s) => ({ atEpochMs: Math.round(s.atEpochMs), spanMs: Math.round(s.endEpochMs - s.atEpochMs), worstMs: Math.round(s.worstMs * 10) / 10, requests: s.requests }));
}

/** The q-quantile (0..1) of sorted values (nearest rank). */
export function quantileOf(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** The index of the end of one HTTP/1.1 response in `buf` from `from` (headers and a Content-Length body), or -1. */
export function responseEndOf(buf: Buffer, from: number): number {
  const headersEnd = buf.indexOf('\r\n\r\n', from);
  if (headersEnd < 0) return -1;
  const head = buf.toString('latin1', from, headersEnd);
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const end = headersEnd + 4 + (m ? Number(m[1]) : 0);
  return end <= buf.length ? end : -1;
}

/** One keep-alive connection: one request at a time (no pipelining), answers parsed just enough to find their end and status. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private inFlight: { readonly i: number; readonly intendedMs: number } | undefined;
  closed = false;
  constructor(
    private readonly socket: Socket,
    private readonly onAnswer: (i: number, intendedMs: number, ok: boolean, self: Connection | undefined) => void,
    onClose: (self: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => undefined);
    // A closed connection (the server's keep-alive timeout while it idled, a refusal) fails its request and
    // leaves the pool; the generator opens another in its place.
    socket.once('close', () => {
      this.closed = true;
      const inFlight = this.inFlight;
      this.inFlight = undefined;
      if (inFlight) onAnswer(inFlight.i, inFlight.intendedMs, false, undefined);
      onClose(this);
    });
  }

  send(i: number, intendedMs: number, request: Buffer): void {
    this.inFlight = { i, intendedMs };
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const end = responseEndOf(this.pending, 0);
    if (end < 0 || this.inFlight === undefined) return;
    const ok = this.pending[9] === 0x32; // "HTTP/1.1 2xx"
    this.pending = this.pending.subarray(end);
    const { i, intendedMs } = this.inFlight;
    this.inFlight = undefined;
    this.onAnswer(i, intendedMs, ok, this);
  }

  close(): void {
    this.inFlight = undefined;
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * Raw keep-alive sockets with prebuilt request bytes (a Node http client costs several times more CPU per
 * request, and on a shared core that cost shows up as latency the server never caused).
 */
async function generate(job: OpenLoopJob): Promise<OpenLoopResult> {
  const target = new URL(job.url);
  const requests = job.bodies.map((b) => {
    const body = Buffer.from(b);
    const head = `POST /api/v2/spans HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  });
  const intervalMs = 1000 / job.requestsPerS;
  const warmup = Math.round(job.warmupSeconds * job.requestsPerS);
  const total = warmup + Math.round(job.seconds * job.requestsPerS);
  const latencies = new Float64Array(total - warmup);
  const slow: { i: number; latencyMs: number }[] = [];
  let ok = 0;
  let failed = 0;
  let answered = 0;
  let outstanding = 0;
  let maxOutstanding = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });
  const idle: Connection[] = [];
  const waiting: number[] = []; // due, no idle connection yet: they queue, and their wait counts
  let t0 = 0; // set once every connection is open: connecting is not the server's latency
  const intendedOf = (i: number): number => t0 + i * intervalMs;
  const onAnswer = (i: number, intendedMs: number, good: boolean, conn: Connection | undefined): void => {
    if (i < 0) { // a fresh connection (replacing a closed one): not an answer
      const next = conn === undefined ? undefined : waiting.shift();
      if (next === undefined) { if (conn) idle.push(conn); } else conn?.send(next, intendedOf(next), requests[next % requests.length] as Buffer);
      return;
    }
    outstanding--;
    if (i >= warmup) {
      const latencyMs = performance.now() - intendedMs;
      latencies[i - warmup] = latencyMs;
      if (latencyMs > STALL_MS) slow.push({ i, latencyMs });
      if (good) ok++;
      else failed++;
    }
    const next = conn === undefined ? undefined : waiting.shift();
    if (next === undefined) { if (conn) idle.push(conn); }
    else conn?.send(next, intendedOf(next), requests[next % requests.length] as Buffer);
    if (++answered === total) finish();
  };
  const all = new Set<Connection>();
  let done = false;
  const open = async (): Promise<Connection> => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const conn = new Connection(socket, onAnswer, (closed) => {
      all.delete(closed);
      const at = idle.indexOf(closed);
      if (at >= 0) idle.splice(at, 1);
      if (done) return;
      // a replacement takes what waits, as an answered connection would
      void open().then((fresh) => onAnswer(-1, 0, true, fresh), () => undefined);
    });
    all.add(conn);
    return conn;
  };
  for (let c = 0; c < job.connections; c++) idle.push(await open());
  t0 = performance.now() + 10;
  let next = 0;
  const generatorLags: { atEpochMs: number; lateMs: number }[] = [];
  let tickDueAt = 0;
  const tick = (): void => {
    const lateMs = performance.now() - tickDueAt;
    if (next >= warmup && tickDueAt > 0 && lateMs > GENERATOR_LAG_MS) generatorLags.push({ atEpochMs: Math.round(performance.timeOrigin + tickDueAt), lateMs: Math.round(lateMs) });
    tickDueAt = performance.now() + 1;
    const due = Math.min(total, Math.floor((performance.now() - t0) / intervalMs) + 1);
    for (; next < due; next++) {
      outstanding++;
      if (next >= warmup && outstanding > maxOutstanding) maxOutstanding = outstanding;
      const conn = idle.pop();
      if (conn === undefined) waiting.push(next);
      else conn.send(next, intendedOf(next), requests[next % requests.length] as Buffer);
    }
    if (next < total) setTimeout(tick, 1);
  };
  setTimeout(tick, Math.max(0, t0 - performance.now()));
  await finished;
  done = true;
  for (const c of all) c.close();
  latencies.sort();
  return {
    requests: latencies.length, ok, failed, seconds: job.seconds,
    p50Ms: quantileOf(latencies, 0.5), p99Ms: quantileOf(latencies, 0.99), p999Ms: quantileOf(latencies, 0.999),
    maxMs: latencies[latencies.length - 1] ?? NaN, maxOutstanding,
    generatorLags,
    stalls: slowWindowsOf(slow.sort((a, b) => a.i - b.i).map((r) => ({ intendedEpochMs: performance.timeOrigin + intendedOf(r.i), latencyMs: r.latencyMs }))),
  };
}

/** Runs the generator in its own process on `core` (taskset); `jobPath` is a scratch file for the job. */
export function runOpenLoop(job: OpenLoopJob, core: number, jobPath: string): Promise<OpenLoopResult> {
  writeFileSync(jobPath, JSON.stringify(job));
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, '--import', 'tsx', self, jobPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || line === undefined) reject(new Error(`open-loop generator failed (exit ${code}):\n${out.slice(-2000)}`));
      else resolve(JSON.parse(line) as OpenLoopResult);
    });
  });
}

export interface OpenLoopMeasured {
  readonly spansPerS: number;
  readonly result: OpenLoopResult;
  /** pid label → µs of CPU (user + system) per span answered 2xx in the measured run. */
  readonly cpuUsPerSpan: Readonly<Record<string, number>>;
  /** Wall-clock bounds of the measured run, ms since the epoch. */
  readonly fromEpochMs: number;
  readonly toEpochMs: number;
}

const SCRATCH = fileURLToPath(new URL('../.scratch/compare/', import.meta.url));

/**
 * A warm-up run, then the measured run, both open-loop at `spansPerS` (whole bodies of settings.spansPerBody);
 * CPU of the target's processes around the measured run (which includes the generator's ~1 s start-up, while
 * the target idles), divided by the spans answered 2xx.
 */
export async function measureOpenLoop(target: CompareTarget, settings: LoadSettings, spansPerS: number, connections: number): Promise<OpenLoopMeasured> {
  mkdirSync(SCRATCH, { recursive: true });
  const jobPath = join(SCRATCH, `open-loop-${process.pid}.json`);
  const job = { url: target.url, bodies: settings.bodies, requestsPerS: spansPerS / settings.spansPerBody, warmupSeconds: 0, connections };
  await runOpenLoop({ ...job, seconds: settings.warmupSeconds }, settings.loadCore, jobPath);
  const before = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, cpuSplitOf(pid)]));
  const fromEpochMs = Date.now();
  const result = await runOpenLoop({ ...job, seconds: settings.seconds }, settings.loadCore, jobPath);
  const toEpochMs = Date.now();
  const after = Object.fromEntries(Object.entries(target.pids).map(([k, pid]) => [k, cpuSplitOf(pid)]));
  const spans = result.ok * settings.spansPerBody;
  const cpuUsPerSpan: Record<string, number> = {};
  for (const k of Object.keys(target.pids)) {
    const [a, b] = [after[k] ?? { user: 0, system: 0 }, before[k] ?? { user: 0, system: 0 }];
    cpuUsPerSpan[k] = ((a.user + a.system - b.user - b.system) * 1e6) / Math.max(1, spans);
  }
  return { spansPerS: spans / result.seconds, result, cpuUsPerSpan, fromEpochMs, toEpochMs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as OpenLoopJob;
  process.stdout.write(`${JSON.stringify(await generate(job))}\n`);
}
