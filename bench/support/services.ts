/**
 * Process machinery shared by the benchmarks that run meshray's services as processes (e2e, drain,
 * all-in-one): spawn through the CLI (tsx, or dist/ with BENCH_COMPILED=1; BENCH_CPU_PROF=<dir> profiles
 * each; BENCH_SERVICE_ENV='K=V,K=V' adds env; each service gets its default NODE_OPTIONS, services/cli/node-options.ts,
 * unless the run sets NODE_OPTIONS, `NODE_OPTIONS=` for none), readiness, stop, CPU seconds from /proc/<pid>/stat, a
 * Prometheus metric, the load average, and the documents the translator makes of spans (the ledger).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../shared/core/xray/index.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';
import { nodeOptionsFor } from '../../services/cli/node-options.ts';
import { cpuSecondsOf, freePort, readLoad, round, sleep } from './processes.ts';
import { serviceEnvOf } from './service-env.ts';

export { cpuSecondsOf, freePort, readLoad, round, sleep };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const env = process.env;
export const num = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);
/** A space-separated list of node flags (BENCH_*_NODE_FLAGS, a drain variant's NODE_FLAGS) → argv entries. */
export const nodeFlagsOf = (spec: string | undefined): string[] => (spec ?? '').split(/\s+/).filter(Boolean);
export const logger = (tag: string) => (message: string): void => { process.stderr.write(`[${tag}] ${message}\n`); };

export interface Service {
  readonly label: string;
  readonly child: ChildProcess;
  readonly url: string;
  output: string;
}

function cliArgs(command: string, label: string, nodeFlags: readonly string[]): string[] {
  const profDir = env['BENCH_CPU_PROF'];
  // One directory per service: the tsx loader thread writes a profile of its own next to the main thread's.
  const prof = [...nodeFlags, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}/${label}`] : [])];
  if (env['BENCH_COMPILED'] === '1') {
    const compiled = `${ROOT}dist/services/cli/main.js`;
    if (!existsSync(compiled)) throw new Error('BENCH_COMPILED=1 needs `npm run build` first');
    return [...prof, compiled, command];
  }
  return [...prof, '--import', 'tsx', `${ROOT}services/cli/main.ts`, command];
}

const extraServiceEnv = (): Record<string, string> => serviceEnvOf(env['BENCH_SERVICE_ENV']);

/**
 * Starts `meshray <command>`; `pinCpu` runs it on that core only (taskset), as the issue's side-by-side runs do.
 * `nodeFlags` go on node's command line (flags NODE_OPTIONS refuses, such as V8's `--trace-gc`).
 */
export function spawnService(
  label: string, command: string, port: number, serviceEnv: Record<string, string>, pinCpu?: number, nodeFlags: readonly string[] = [],
): Service {
  const args = cliArgs(command, label, nodeFlags);
  const [file, argv] = pinCpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(pinCpu), process.execPath, ...args]];
  const childEnv: Record<string, string | undefined> = { ...env, LOG_LEVEL: 'warn', ...serviceEnv, ...extraServiceEnv() };
  // As deployed: the service's default NODE_OPTIONS unless the run sets its own (`NODE_OPTIONS=` for none).
  const nodeOptions = nodeOptionsFor(command, childEnv);
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: nodeOptions === undefined ? childEnv : { ...childEnv, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: Service = { label, child, url: `http://127.0.0.1:${port}`, output: '' };
  const keep = (chunk: Buffer): void => { service.output = (service.output + chunk.toString('utf8')).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return service;
}

export async function waitReady(service: Service, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.label} exited during start:\n${service.output}`);
    try {
      const res = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  throw new Error(`${service.label} not ready within ${timeoutMs} ms:\n${service.output}`);
}

export async function stopService(service: Service): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
  child.kill('SIGKILL');
  await exited;
}

/** The sum of a Prometheus metric over its label sets, read from a service's /metrics. */
export async function metricOf(service: Service, name: string): Promise<number> {
  return (await metricsOf(service, [name]))[0] ?? 0;
}

/** Several metrics (each summed over its label sets) from one /metrics scrape. */
export async function metricsOf(service: Service, names: readonly string[]): Promise<number[]> {
  let text: string;
  try {
    text = await (await fetch(`${service.url}/metrics`)).text();
  } catch (err) {
    // a service that died under load: say how, with the end of what it printed, not just ECONNREFUSED
    const { exitCode, signalCode } = service.child;
    if (exitCode === null && signalCode === null) throw err;
    throw new Error(`${service.label} exited (${signalCode ?? `code ${exitCode}`}); its last output:\n${service.output}`, { cause: err });
  }
  const sums = names.map(() => 0);
  for (const line of text.split('\n')) {
    names.forEach((name, i) => {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sums[i] = (sums[i] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    });
  }
  return sums;
}

/** What xray-local stored so far: documents, and entities (documents plus the subsegments nested in them: one per span with PACKING=on). */
export interface Stored { readonly documents: number; readonly entities: number }

export async function storedOf(xray: Service): Promise<Stored> {
  const [documents = 0, nested = 0] = await metricsOf(xray, ['meshray_xray_local_segments_accepted_total', 'meshray_xray_local_subsegments_nested_total']);
  return { documents, entities: documents + nested };
}

/**
 * Documents the translator makes of `spans` one per span (a root CLIENT span makes two), translated in
 * chunks: with PACKING=on the same segments and subsegments arrive nested in fewer documents, so compare it
 * with `Stored.entities`, never with the documents stored.
 */
export function expectedDocuments(spans: readonly Span[]): number {
  let documents = 0;
  const epochs = new MemoryEpochStore();
  for (let i = 0; i < spans.length; i += 1000) {
    const out = translateSpans(spans.slice(i, i + 1000), { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs });
    documents += out.documents.length;
  }
  return documents;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Polls xray-local until it stored `target` entities (segments and subsegments, nested ones included:
 * `expectedDocuments` counts them) in all; resolves with when that was seen (ms epoch) and what was stored.
 * Each poll is a /metrics scrape, which costs xray-local (whose CPU per document the benches report) about a
 * millisecond with prom-client's process metrics: polled every 100 ms through a whole drain, the scrapes were
 * ≈ 10 % of its CPU. So it polls once a second while far from the target, every 100 ms over its last 5 %
 * (or when it can no longer tell: the time it resolves with stays within 100 ms).
 */
export async function waitLanded(xray: Service, target: number, timeoutMs: number): Promise<Stored & { landedAtMs: number }> {
  const deadline = Date.now() + timeoutMs;
  let stored: Stored = { documents: 0, entities: 0 };
  let previous = -1;
  let previousAtMs = Date.now();
  while (Date.now() < deadline) {
    stored = await storedOf(xray);
    const nowMs = Date.now();
    const landed = stored.entities;
    if (landed >= target) return { landedAtMs: nowMs, ...stored };
    // the next second's entities at the last second's rate: would it reach the target?
    const perSecond = previous < 0 ? Infinity : ((landed - previous) * 1000) / Math.max(1, nowMs - previousAtMs);
    const near = landed >= target * 0.95 || landed + perSecond * 1.5 >= target;
    previous = landed;
    previousAtMs = nowMs;
    await sleep(near ? 100 : 1000);
  }
  return { landedAtMs: Date.now(), ...stored };
}

export function cpuSnapshot(services: readonly Service[], brokerPid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of services) out[s.label] = cpuSecondsOf(s.child.pid);
  if (brokerPid !== undefined) out['kafka broker'] = cpuSecondsOf(brokerPid);
  out['load generator'] = cpuSecondsOf(process.pid);
  return out;
}

export interface BenchBroker {
  readonly brokers: string;
  /** The broker JVM's pid (its CPU is reported), when known. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** KAFKA_BROKERS (BENCH_BROKER_PID=<its JVM pid> adds its CPU), else a broker started here (tools/kafka). */
export async function startBenchBroker(log: (m: string) => void): Promise<BenchBroker> {
  const given = env['KAFKA_BROKERS'];
  if (given) return { brokers: given, pid: env['BENCH_BROKER_PID'] ? Number(env['BENCH_BROKER_PID']) : undefined, stop: async () => undefined };
  const kafkaTool: string = '../../tools/kafka/kafka.mjs'; // plain JS without declarations
  const { startBroker } = (await import(kafkaTool)) as {
    startBroker(o: { log?: (m: string) => void }): Promise<{ brokers: string; pid: number; stop(): Promise<void> }>;
  };
  return startBroker({ log });
}
