/**
 * `BENCH=compare npm run -s bench`: meshray against the Zipkin server, core for core, on this machine. One
 * Kafka broker is started (pinned to the load core, like wrk); each server under test runs alone, pinned to
 * the server core. Sections run in order; each prints µs of CPU per span for each of its processes.
 *
 * Sections (BENCH_COMPARE=receiver,translator,all-in-one selects; default all registered):
 * - `receiver` (receiver.ts): Zipkin server 3.5.1 vs meshray's receiver (ACK_MODE=kafka), saturated and at
 *   the fixed rates, ratio of per-span CPU, the Node floor on the same points (node-floor.ts: node's http server
 *   reading and JSON.parse-ing each body, nothing else), spans per Kafka record, RSS; then open-loop fixed rates
 *   (open-loop.ts, BENCH_OPEN_LOOP_RATES, default 10000 spans/s): POST latency p50/p99/p99.9 corrected for
 *   coordinated omission (from each request's intended send time), and CPU per span at that steady rate.
 * - `translator` (translator.ts, also BENCH=drain): a preloaded topic drained through the real SDK into
 *   xray-local with Redis epoch agreement: µs/span for the translator, µs/document for xray-local, documents per call.
 * - `xray-local` (xray-local.ts, also BENCH=xray-local): xray-local alone against the Node floor (node's http
 *   server parsing each body and document, nothing else) on the translator's documents: µs/document for each.
 * - `all-in-one` (all-in-one.ts, also BENCH=all-in-one): capacity on one core, µs/span at 80 % of it, 503s.
 * A new section registers in SECTIONS below: it gets the CompareContext (broker, cores, bodies, wrk settings)
 * and returns figures.
 *
 * Knobs: BENCH_SERVER_CORE (0), BENCH_LOAD_CORE (1), BENCH_COMPARE_SECONDS (20, measured window),
 * BENCH_COMPARE_WARMUP_SECONDS (10), BENCH_COMPARE_RATES (spans/s, "5000"; e.g. "1000,5000,10000,20000"),
 * BENCH_CONNECTIONS (64, saturation), BENCH_RATE_CONNECTIONS (32, fixed rates), BENCH_SERVICE_ENV='K=V,K=V'
 * (extra env for meshray services), KAFKA_BROKERS + BENCH_BROKER_PID (use a running broker), BENCH_CPU_PROF,
 * BENCH_COMPARE_ZIPKIN=0 (skip the Zipkin server: meshray figures only), BENCH_COMPARE_FLOOR=0 (skip the Node floor,
 * node-floor.ts), BENCH_COMPARE_SATURATED=0 (fixed rates only).
 * Needs Linux (/proc, taskset), wrk and Maven (the Zipkin jar is fetched into bench/.scratch/zipkin).
 */
import { runAllInOneBench } from './all-in-one.ts';
import { runTranslatorDrainBench } from './translator.ts';
import { runXrayLocalBench } from './xray-local.ts';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BenchFigure } from '../translate.bench.ts';
import { readLoad } from '../support/processes.ts';
import { envoyBodies } from './bodies.ts';
import type { LoadSettings } from './measure.ts';
import { receiverSection } from './receiver.ts';
import { serviceEnvOf } from '../support/service-env.ts';

export interface CompareContext {
  readonly log: (message: string) => void;
  readonly load: () => string;
  readonly serverCore: number;
  readonly loadCore: number;
  readonly brokers: string;
  readonly brokerPid: number | undefined;
  /** The broker's JVM log of pauses (tools/kafka: gc.log in its dir; BENCH_BROKER_GC_LOG for a broker given by KAFKA_BROKERS). */
  readonly brokerGcLog: string | undefined;
  /** Fixed rates (spans/s) measured after saturation. */
  readonly rates: readonly number[];
  readonly settings: LoadSettings;
  /** Extra environment for every meshray service (BENCH_SERVICE_ENV). */
  readonly serviceEnv: Readonly<Record<string, string>>;
}

export interface CompareSection {
  readonly name: string;
  run(ctx: CompareContext): Promise<BenchFigure[]>;
}

/** The sections, in run order. Add a section here (its own file in bench/compare/). */
const SECTIONS: readonly CompareSection[] = [
  receiverSection,
  // The translator drain (a preloaded topic through the real SDK into xray-local, Redis agreement on) and the
  // all-in-one saturation run their own processes and broker; they print per-process figures as well.
  { name: 'translator', run: () => runTranslatorDrainBench() },
  { name: 'xray-local', run: () => runXrayLocalBench() },
  { name: 'all-in-one', run: () => runAllInOneBench() },
];

const env = process.env;
const num = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);
const log = (message: string): void => { process.stderr.write(`[compare] ${message}\n`); };

interface Broker { readonly brokers: string; readonly pid: number; readonly dir: string; stop(): Promise<void> }

async function startPinnedBroker(core: number): Promise<Broker> {
  const kafkaTool: string = '../../tools/kafka/kafka.mjs'; // plain JS without declarations
  const { startBroker } = (await import(kafkaTool)) as { startBroker(o: { log?: (m: string) => void }): Promise<Broker> };
  const broker = await startBroker({ log });
  const { spawnSync } = await import('node:child_process');
  spawnSync('taskset', ['-a', '-cp', String(core), String(broker.pid)], { stdio: 'ignore' });
  return broker;
}

export async function runCompareBench(): Promise<BenchFigure[]> {
  const started = Date.now();
  const selected = env['BENCH_COMPARE']?.split(',').filter(Boolean);
  const sections = SECTIONS.filter((s) => !selected || selected.includes(s.name));
  const serverCore = num('BENCH_SERVER_CORE', 0);
  const loadCore = num('BENCH_LOAD_CORE', 1);
  const spansPerBody = 5;
  const bodies = envoyBodies(1000, Date.now(), spansPerBody);
  const meanBytes = Math.round(bodies.reduce((a, b) => a + Buffer.byteLength(b), 0) / bodies.length);
  let broker: Broker | undefined;
  const figures: BenchFigure[] = [
    { name: `bodies: ${bodies.length} Envoy-style Zipkin v2 JSON POSTs of ${spansPerBody} spans, mean size`, value: meanBytes, unit: 'bytes' },
  ];
  try {
    let brokers = env['KAFKA_BROKERS'];
    if (!brokers) {
      broker = await startPinnedBroker(loadCore);
      brokers = broker.brokers;
    }
    const ctx: CompareContext = {
      log, load: readLoad, serverCore, loadCore, brokers,
      brokerPid: broker?.pid ?? (env['BENCH_BROKER_PID'] ? Number(env['BENCH_BROKER_PID']) : undefined),
      brokerGcLog: broker ? join(broker.dir, 'gc.log') : env['BENCH_BROKER_GC_LOG'],
      rates: (env['BENCH_COMPARE_RATES'] ?? '5000').split(',').filter(Boolean).map(Number),
      settings: {
        bodies, spansPerBody, loadCore,
        connections: num('BENCH_CONNECTIONS', 64), rateConnections: num('BENCH_RATE_CONNECTIONS', 32),
        warmupSeconds: num('BENCH_COMPARE_WARMUP_SECONDS', 10), seconds: num('BENCH_COMPARE_SECONDS', 20),
      },
      serviceEnv: serviceEnvOf(env['BENCH_SERVICE_ENV']),
    };
    log(`server core ${serverCore}, load core ${loadCore} (wrk, broker); ${cpus().length} cores; load ${readLoad()}`);
    for (const section of sections) {
      log(`section ${section.name}`);
      figures.push(...(await section.run(ctx)));
    }
    figures.push({ name: 'load average (1 min) at the end: other work on this machine skews every figure', value: Number(readLoad().split(' ')[0]), unit: `on ${cpus().length} cores` });
  } finally {
    await broker?.stop();
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return figures;
}
