/**
 * The translator drain (issue 9, goals 2, 3 and 6): a translator process drains a preloaded span topic
 * through the real @aws-sdk/client-xray into an xray-local process, with Redis epoch agreement on
 * (EPOCH_STORE=redis, REDIS_URL). Figures, per variant of the translator's env: µs CPU per span (spans in the
 * topic) and per document of the translator, µs CPU of xray-local per document stored and per span, the
 * broker's CPU per span, documents per PutTraceSegments call under backlog, and spans per document. With
 * PACKING=on (the default) a document carries a service hop (its segment and nested subsegments), so per
 * span and per document differ.
 *
 * How: the receiver (a process) loads a warm-up set (BENCH_DRAIN_WARM_SPANS, 20,000); the translator drains
 * it (startup is not measured). Then come BENCH_DRAIN_WINDOWS measured windows (default 2) in the same
 * translator and xray-local: the translator is frozen (SIGSTOP) while a fresh receiver preloads
 * BENCH_DRAIN_SPANS spans (default 100,000); the receiver stops, CPU is read from /proc/<pid>/stat, the
 * translator resumes (SIGCONT) and drains the backlog until xray-local holds every segment and subsegment
 * the ledger expects (nested ones included: `expectedDocuments` counts one per span, xray-local's accepted +
 * nested counters count them as stored), and CPU is read again. Each window's figures are printed: the first
 * still pays for V8 optimising code the warm-up did not make hot (TurboFan compiles on V8's helper threads,
 * docs/sizing.md §24); a long-running translator is the later windows. With ASSEMBLY=on (the default) the last traces leave the assembly window
 * ASSEMBLY_IDLE (5.5 s) after their last span: the window waits for them, so the rate printed includes that
 * idle tail (CPU per span does not depend on it). The seed changes per run, so the Redis epoch entries are
 * new (a real first sight of each trace).
 *
 * Variants: BENCH_DRAIN_VARIANTS lists translator envs separated by `;`, each `K=V,K=V` or `defaults`
 * (default: `defaults`), e.g. `defaults;PACKING=off,ASSEMBLY=off`; each runs with its own xray-local,
 * receiver, translator and topic on the same broker, BENCH_DRAIN_ROUNDS times (default 1), interleaved
 * (A B A B), so variants see the same machine. BENCH_SERVICE_ENV applies to every service of every variant.
 * A variant's `NODE_FLAGS=…` (space-separated) puts node flags on its translator's and its xray-local's command
 * line, e.g. `defaults;NODE_FLAGS=--no-parallel-scavenge`.
 *
 * The translator's main-thread GC pauses during the drain (prom-client's gc histogram) are printed per span;
 * V8's helper threads (concurrent marking, parallel scavenges) count in its /proc CPU but not there.
 * After the drain the translator is left idle for BENCH_DRAIN_IDLE_SECONDS (3) and its CPU then is printed as
 * a share of a core: what the idle tail (ASSEMBLY_IDLE) adds to a drain's CPU.
 *
 * The translator's CPU during the drain is also split into user and system time (the kernel's share: sockets,
 * page faults, madvise/munmap of freed heap pages) and into its main thread and its other threads (V8's
 * helper threads: concurrent marking, parallel scavenges, sweeping; libuv's pool), from /proc/<pid>/task.
 * BENCH_TRANSLATOR_NODE_FLAGS='--trace-gc-nvp' (space-separated; they go on node's command line, as V8 flags
 * such as --trace-gc are refused in NODE_OPTIONS) adds the GC trace of the drain, per kind of collection
 * (scavenge, mark-compact): how many, main-thread pause and (with --trace-gc-nvp) helper-thread work per
 * span, and the bytes promoted to the old generation (bench/support/gc-trace.ts).
 *
 * The translator's floor (translator-floor.ts; BENCH_DRAIN_FLOOR=0 skips it): once the windows are drained and
 * the translator stopped, the same topic is drained again from its start by a process using the same packages
 * (kafkajs, the record codec, the SDK) and none of the translation, one minimal document per span, measured
 * after the warm-up's spans: what no translator on these packages goes below here. BENCH_DRAIN_FLOOR_DOCUMENTS
 * (`minimal`, `translated`, or both, the default) adds a second floor that sends the documents meshray's pure core
 * makes of the same batches (docs/sizing.md §36): between the two floors lies the translation, above the second
 * the translator's orchestration (Redis epochs, the assembly window, export stages, metrics, commits).
 *
 * Knobs: BENCH_DRAIN_SPANS, BENCH_DRAIN_WARM_SPANS, KAFKA_BROKERS/BENCH_BROKER_PID, BENCH_SERVICE_ENV (e.g.
 * EXPORT_LINGER=0), BENCH_CPU_PROF (with several variants or rounds, each translator profiles into
 * <dir>/translator-<variant>-<round>), BENCH_COMPILED (bench/support/services.ts).
 */
import type { Span } from '../../shared/core/zipkin/span.ts';
import { runDemo, spansForRoundRobin } from '../../services/simulator/index.ts';
import {
  cpuSecondsOf, expectedDocuments, freePort, logger, metricOf, nodeFlagsOf, num, readLoad, round, sleep, spawnService, startBenchBroker, stopService,
  waitLanded, waitReady, type BenchBroker, type Service,
} from '../support/services.ts';
import type { BenchFigure } from '../translate.bench.ts';
import { GcTraceCollector, type GcTraceSummary } from '../support/gc-trace.ts';
import { cpuSplitOf, rssMibOf, threadCpuOf } from '../support/processes.ts';
import { runTranslatorFloor, type FloorDocuments, type TranslatorFloor } from './translator-floor.ts';

const log = logger('drain');

async function preload(receiver: Service, spans: number, seed: number): Promise<Span[]> {
  const ledger: Span[] = [];
  const perRequest = spansForRoundRobin('1.7.4', 3000) / 3000;
  const run = await runDemo({
    target: receiver.url, rate: Infinity, requests: Math.ceil(spans / perRequest), seed, concurrency: 64,
    batchSize: 5, flushIntervalMs: 1000, onSpansAccepted: (s) => { ledger.push(...s); },
  });
  if (run.spansRefused > 0) log(`preload: ${run.spansRefused} spans refused (${JSON.stringify(run.responses)})`);
  return ledger;
}

export interface DrainVariant {
  readonly name: string;
  readonly env: Record<string, string>;
}

/**
 * The assembly window's counters, per label set (flushed traces by reason, refused batches by reason): a
 * drain that refuses batches (window_full) fetches them again, which costs the translator and the broker.
 */
async function assemblyCountsOf(translator: Service): Promise<Map<string, number>> {
  const text = await (await fetch(`${translator.url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^meshray_translator_assembly_(flushed_traces|refused_batches)_total(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) counts.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return counts;
}

let floorDocuments: FloorDocuments[] = ['minimal', 'translated'];

/** BENCH_DRAIN_FLOOR_DOCUMENTS: `minimal`, `translated` or both, comma-separated (default both; §29, §36). */
export function floorDocumentsOf(value: string | undefined): FloorDocuments[] {
  const listed = (value ?? 'minimal,translated').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const d of listed) if (d !== 'minimal' && d !== 'translated') throw new Error(`BENCH_DRAIN_FLOOR_DOCUMENTS: '${d}' is not minimal or translated`);
  return listed as FloorDocuments[];
}

/** BENCH_DRAIN_VARIANTS: `;`-separated, each `defaults` or `K=V,K=V`. */
export function drainVariants(spec: string | undefined): DrainVariant[] {
  const parts = (spec ?? 'defaults').split(';').map((p) => p.trim()).filter(Boolean);
  return (parts.length > 0 ? parts : ['defaults']).map((part) => {
    const env: Record<string, string> = {};
    if (part !== 'defaults') {
      for (const pair of part.split(',').filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`BENCH_DRAIN_VARIANTS: '${pair}' is not K=V`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
    return { name: part, env };
  });
}

interface DrainResult {
  /** 1 for the first measured window after the warm-up. */
  readonly window: number;
  readonly spans: number;
  readonly lost: number;
  readonly rate: number;
  readonly translatorUsPerSpan: number;
  readonly translatorUsPerDocument: number;
  readonly xrayUsPerDocument: number;
  readonly xrayUsPerSpan: number;
  readonly brokerUsPerSpan: number | undefined;
  readonly documentsPerCall: number;
  readonly spansPerDocument: number;
  /** Main-thread GC pauses (prom-client's gc histogram; helper threads' concurrent work not included). */
  readonly gcPauseUsPerSpan: number;
  /** The translator's CPU per span split: user and system (kernel) time; main thread and the others. */
  readonly translatorUserUsPerSpan: number;
  readonly translatorSystemUsPerSpan: number;
  readonly mainThreadUsPerSpan: number;
  readonly otherThreadsUsPerSpan: number;
  /** BENCH_TRANSLATOR_NODE_FLAGS with --trace-gc or --trace-gc-nvp: the drain's collections; else undefined. */
  readonly gc: GcTraceSummary | undefined;
  readonly load: string;
  /** Peak resident set (VmHWM) so far, warm-up included, MiB. */
  readonly translatorPeakRssMib: number;
  readonly xrayPeakRssMib: number;
}

/** What a variant's windows share: its processes (a receiver per window), topics and the GC trace. */
interface DrainProcesses {
  readonly broker: BenchBroker;
  readonly variant: DrainVariant;
  readonly xray: Service;
  readonly translator: Service;
  readonly startReceiver: (window: number) => Promise<Service>;
  readonly gcTrace: GcTraceCollector;
  readonly seed: number;
}

/**
 * One measured window: the translator is frozen (SIGSTOP) while a fresh receiver preloads BENCH_DRAIN_SPANS
 * spans, the receiver stops, CPU is read, the translator resumes (SIGCONT) and drains them until xray-local
 * holds every segment and subsegment the ledger expects, and CPU is read again. `landedBefore`: what
 * xray-local held before the window.
 */
async function measureWindow(p: DrainProcesses, window: number, landedBefore: { entities: number; documents: number }): Promise<{ result: DrainResult; landed: { entities: number; documents: number } }> {
  const { broker, variant, xray, translator, gcTrace } = p;
  const gcBefore = await metricOf(translator, GC_PAUSES);
  const assemblyBefore = await assemblyCountsOf(translator);
  const callsBefore = await callsOf(translator, 'count');
  const docsBefore = await callsOf(translator, 'sum');
  translator.child.kill('SIGSTOP');
  const receiver = await p.startReceiver(window);
  const ledger = await preload(receiver, num('BENCH_DRAIN_SPANS', 100_000), p.seed + window);
  await stopService(receiver);
  const expected = expectedDocuments(ledger);
  const cpu0 = { translator: cpuSecondsOf(translator.child.pid), xray: cpuSecondsOf(xray.child.pid), broker: cpuSecondsOf(broker.pid) };
  const split0 = cpuSplitOf(translator.child.pid);
  const threads0 = threadCpuOf(translator.child.pid);
  const loadBefore = readLoad();
  const t0 = Date.now();
  gcTrace.restart();
  gcTrace.collecting = true;
  translator.child.kill('SIGCONT');
  const landed = await waitLanded(xray, landedBefore.entities + expected, 300_000);
  const seconds = (landed.landedAtMs - t0) / 1000;
  const cpu1 = { translator: cpuSecondsOf(translator.child.pid), xray: cpuSecondsOf(xray.child.pid), broker: cpuSecondsOf(broker.pid) };
  const split1 = cpuSplitOf(translator.child.pid);
  const threads1 = threadCpuOf(translator.child.pid);
  gcTrace.collecting = false;
  const loadAfter = readLoad();
  const entities = landed.entities - landedBefore.entities;
  const documents = Math.max(1, landed.documents - landedBefore.documents);
  const gcPauseSeconds = (await metricOf(translator, GC_PAUSES)) - gcBefore;
  const calls = (await callsOf(translator, 'count')) - callsBefore;
  const perCall = ((await callsOf(translator, 'sum')) - docsBefore) / Math.max(1, calls);
  const spans = Math.max(1, ledger.length);
  const assemblyAfter = await assemblyCountsOf(translator);
  const name = `${variant.name}, window ${window}`;
  log(`[${name}] assembly window during the drain: ${[...assemblyAfter].map(([k, v]) => `${k} ${v - (assemblyBefore.get(k) ?? 0)}`).join(', ') || 'off'}`);
  log(`[${name}] drained ${ledger.length} spans: ${entities}/${expected} segments and subsegments in ${documents} documents, ${seconds.toFixed(1)} s, ${calls} calls; load before ${loadBefore}, after ${loadAfter}`);
  const us = (s: number, per: number): number => round((s * 1e6) / per, 1);
  const threadSeconds = [...threads1].map(([tid, t1]) => {
    const before = threads0.get(tid) ?? { user: 0, system: 0 };
    return { tid, user: t1.user - before.user, system: t1.system - before.system };
  });
  const main = threadSeconds.find((t) => t.tid === translator.child.pid);
  const mainSeconds = main === undefined ? 0 : main.user + main.system;
  const busy = threadSeconds.filter((t) => t.user + t.system > 0).sort((a, b) => b.user + b.system - a.user - a.system);
  log(`[${name}] translator threads, µs/span user+system (tid − pid): ${
    busy.map((t) => `${t.tid - (translator.child.pid ?? 0)}: ${us(t.user, spans)}+${us(t.system, spans)}`).join(', ')}`);
  const gcSeen = gcTrace.summary.s.count + gcTrace.summary.ms.count + gcTrace.summary.mmc.count > 0;
  const result: DrainResult = {
    window,
    spans: ledger.length,
    lost: Math.max(0, expected - entities),
    rate: round(ledger.length / seconds),
    translatorUsPerSpan: us(cpu1.translator - cpu0.translator, spans),
    translatorUsPerDocument: us(cpu1.translator - cpu0.translator, documents),
    xrayUsPerDocument: us(cpu1.xray - cpu0.xray, documents),
    xrayUsPerSpan: us(cpu1.xray - cpu0.xray, spans),
    brokerUsPerSpan: broker.pid === undefined ? undefined : us(cpu1.broker - cpu0.broker, spans),
    documentsPerCall: round(perCall, 1),
    spansPerDocument: round(entities / documents, 2),
    gcPauseUsPerSpan: us(gcPauseSeconds, spans),
    translatorUserUsPerSpan: us(split1.user - split0.user, spans),
    translatorSystemUsPerSpan: us(split1.system - split0.system, spans),
    mainThreadUsPerSpan: us(mainSeconds, spans),
    otherThreadsUsPerSpan: us(split1.user + split1.system - split0.user - split0.system - mainSeconds, spans),
    gc: gcSeen ? { ...gcTrace.summary } : undefined,
    load: `${loadBefore.split(' ')[0]} → ${loadAfter.split(' ')[0]}`,
    translatorPeakRssMib: round(rssMibOf(translator.child.pid, true)),
    xrayPeakRssMib: round(rssMibOf(xray.child.pid, true)),
  };
  return { result, landed };
}

/**
 * A variant's processes, its warm-up, then BENCH_DRAIN_WINDOWS measured windows (default 2) in the same
 * processes. Only the translator's CPU after the last window is idle time.
 */
async function drainOnce(broker: BenchBroker, variant: DrainVariant, tag: string, nodeFlags: readonly string[]): Promise<{ windows: DrainResult[]; idlePercent: number; floor: TranslatorFloor[] }> {
  const services: Service[] = [];
  try {
    const run = `${process.pid}-${Date.now()}`;
    const topics = { SPANS_TOPIC: `meshray.drain.${run}`, DLQ_TOPIC: `meshray.drain.${run}.dlq` };
    const [xrayPort, opsPort] = [await freePort(), await freePort()];
    // A variant's NODE_FLAGS (space-separated) go on the command line of its xray-local and translator.
    const { NODE_FLAGS: variantFlags = '', ...variantEnv } = variant.env;
    const xrayFlags = nodeFlagsOf(variantFlags);
    const xray = spawnService(`xray-local${tag}`, 'xray-local', xrayPort, { XRAY_LOCAL_PORT: String(xrayPort), XRAY_LOCAL_HOST: '127.0.0.1' },
      undefined, xrayFlags);
    const startReceiver = async (window: number): Promise<Service> => {
      const receiverPort = await freePort();
      const receiver = spawnService(`receiver${tag}-${window}`, 'receiver', receiverPort, {
        KAFKA_BROKERS: broker.brokers, ...topics, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
      });
      services.push(receiver);
      await waitReady(receiver, 60_000);
      return receiver;
    };
    services.push(xray);
    const [receiver] = await Promise.all([startReceiver(0), waitReady(xray, 60_000)]);
    const translator = spawnService(`translator${tag}`, 'translator', opsPort, {
      KAFKA_BROKERS: broker.brokers, ...topics, TRANSLATOR_GROUP_ID: `meshray.drain.${run}`, XRAY_ENDPOINT: xray.url,
      TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', EPOCH_STORE: 'redis', ...variantEnv,
    }, undefined, [...nodeFlags, ...xrayFlags]);
    const gcTrace = new GcTraceCollector();
    translator.child.stdout?.on('data', (chunk: Buffer) => { gcTrace.write(chunk); });
    services.push(translator);
    await waitReady(translator, 90_000);
    const seed = Date.now() % 1_000_000;

    // warm-up: the translator drains a first set (startup, the JIT's first optimisations), not measured
    const warmSpans = await preload(receiver, num('BENCH_DRAIN_WARM_SPANS', 20_000), seed);
    const warm = expectedDocuments(warmSpans);
    let landed: { entities: number; documents: number } = await waitLanded(xray, warm, 120_000);
    if (landed.entities < warm) throw new Error(`warm-up: only ${landed.entities} of ${warm} segments and subsegments landed`);
    await stopService(receiver);
    const processes: DrainProcesses = { broker, variant, xray, translator, startReceiver, gcTrace, seed };
    const windows: DrainResult[] = [];
    for (let w = 1; w <= Math.max(1, num('BENCH_DRAIN_WINDOWS', 2)); w += 1) {
      const measured = await measureWindow(processes, w, landed);
      windows.push(measured.result);
      landed = measured.landed;
      // what did not land would land in the next window and count as its own: no window after a short one
      if (measured.result.lost > 0) {
        log(`[${variant.name}, window ${w}] ${measured.result.lost} segments and subsegments did not land: no further window`);
        break;
      }
    }
    // The translator with nothing left to do (its fetch loops, heartbeats, timers): what the drain's idle tail costs per second.
    const idleSeconds = num('BENCH_DRAIN_IDLE_SECONDS', 3);
    const idle0 = cpuSecondsOf(translator.child.pid);
    await sleep(idleSeconds * 1000);
    const idlePercent = round(((cpuSecondsOf(translator.child.pid) - idle0) / idleSeconds) * 100, 1);
    // The translator's floor on the same topic (BENCH_DRAIN_FLOOR=0 skips it), the translator stopped first.
    const floor: TranslatorFloor[] = [];
    if (process.env['BENCH_DRAIN_FLOOR'] !== '0') {
      await stopService(translator);
      for (const documents of floorDocuments) {
        try {
          const f = await runTranslatorFloor(broker.brokers, topics.SPANS_TOPIC, xray.url, warmSpans.length, documents);
          floor.push(f);
          log(`[${variant.name}] translator floor (${documents} documents): ${f.spans} spans after the warm-up's ${warmSpans.length}: ${f.usPerSpan} µs/span`);
        } catch (e) {
          // the windows measured above still count
          log(`[${variant.name}] translator floor (${documents} documents) failed, not printed: ${(e as Error).message}`);
        }
      }
    }
    return { windows, idlePercent, floor };
  } finally {
    for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGCONT');
    await Promise.all(services.map(stopService));
  }
}

function figuresOf(variant: DrainVariant, label: string, r: DrainResult): BenchFigure[] {
  const at = `drain [${label}]`;
  const figures: BenchFigure[] = [
    { name: `${at}: spans preloaded`, value: r.spans, unit: 'spans' },
    { name: `${at}: lost segments and subsegments`, value: r.lost, unit: 'spans', target: '0' },
    { name: `${at}: translator rate (sharing the cores${variant.env['ASSEMBLY'] === 'off' ? '' : ', assembly idle tail included'})`, value: r.rate, unit: 'spans/s' },
    { name: `${at}: CPU translator (Redis epochs, real SDK)`, value: r.translatorUsPerSpan, unit: 'µs/span', target: '<= 40' },
    { name: `${at}: CPU translator per document`, value: r.translatorUsPerDocument, unit: 'µs/document' },
    { name: `${at}: CPU xray-local per document stored`, value: r.xrayUsPerDocument, unit: 'µs/document', target: '<= 15' },
    { name: `${at}: CPU xray-local per span stored`, value: r.xrayUsPerSpan, unit: 'µs/span' },
    { name: `${at}: documents per PutTraceSegments call under backlog`, value: r.documentsPerCall, unit: 'documents', target: '>= 45' },
    { name: `${at}: spans per document`, value: r.spansPerDocument, unit: 'spans' },
  ];
  figures.push({ name: `${at}: translator GC pauses (main thread, of the CPU above)`, value: r.gcPauseUsPerSpan, unit: 'µs/span' });
  figures.push({ name: `${at}: CPU translator, user time`, value: r.translatorUserUsPerSpan, unit: 'µs/span' });
  figures.push({ name: `${at}: CPU translator, system time (kernel)`, value: r.translatorSystemUsPerSpan, unit: 'µs/span' });
  figures.push({ name: `${at}: CPU translator, main thread`, value: r.mainThreadUsPerSpan, unit: 'µs/span' });
  figures.push({ name: `${at}: CPU translator, other threads (V8 helpers, libuv pool)`, value: r.otherThreadsUsPerSpan, unit: 'µs/span' });
  if (r.gc !== undefined) {
    const perSpan = (ms: number): number => round((ms * 1000) / Math.max(1, r.spans), 1);
    for (const [kind, name] of [['s', 'scavenges'], ['ms', 'mark-compacts'], ['mmc', 'minor mark-compacts']] as const) {
      const k = r.gc[kind];
      if (k.count === 0 && kind === 'mmc') continue;
      figures.push({ name: `${at}: GC trace, ${name}`, value: k.count, unit: 'collections' });
      figures.push({ name: `${at}: GC trace, ${name}: main-thread pause`, value: perSpan(k.pauseMs), unit: 'µs/span' });
      figures.push({ name: `${at}: GC trace, ${name}: helper-thread work (--trace-gc-nvp)`, value: perSpan(k.backgroundMs), unit: 'µs/span' });
      figures.push({ name: `${at}: GC trace, ${name}: promoted to old space`, value: round(k.promotedBytes / 2 ** 20, 1), unit: 'MiB' });
    }
  }
  figures.push({ name: `${at}: translator peak RSS (VmHWM, warm-up included)`, value: r.translatorPeakRssMib, unit: 'MiB' });
  figures.push({ name: `${at}: xray-local peak RSS (VmHWM)`, value: r.xrayPeakRssMib, unit: 'MiB' });
  if (r.brokerUsPerSpan !== undefined) figures.push({ name: `${at}: CPU kafka broker (fetches)`, value: r.brokerUsPerSpan, unit: 'µs/span' });
  figures.push({ name: `${at}: load average (1 min) before → after: ${r.load}`, value: Number(r.load.split(' → ')[1]), unit: 'runnable' });
  return figures;
}

export async function runTranslatorDrainBench(): Promise<BenchFigure[]> {
  const started = Date.now();
  const variants = drainVariants(process.env['BENCH_DRAIN_VARIANTS']);
  // read before any drain: a typo found after the windows were measured lost them (found by review)
  floorDocuments = floorDocumentsOf(process.env['BENCH_DRAIN_FLOOR_DOCUMENTS']);
  const rounds = num('BENCH_DRAIN_ROUNDS', 1);
  const single = variants.length === 1 && rounds === 1;
  const nodeFlags = nodeFlagsOf(process.env['BENCH_TRANSLATOR_NODE_FLAGS']);
  let broker: BenchBroker | undefined;
  try {
    broker = await startBenchBroker(log);
    const figures: BenchFigure[] = [];
    for (let pass = 1; pass <= rounds; pass += 1) {
      for (const [i, variant] of variants.entries()) {
        const { windows, idlePercent, floor } = await drainOnce(broker, variant, single ? '' : `-${i + 1}-${pass}`, nodeFlags);
        const label = rounds > 1 ? `${variant.name}, round ${pass}` : variant.name;
        const printed = windows.flatMap((w) => figuresOf(variant, `${label}, window ${w.window}`, w));
        printed.push({ name: `drain [${label}]: CPU translator once drained (idle: fetch loops, heartbeats, timers)`, value: idlePercent, unit: '% of a core' });
        for (const f of floor) {
          const what = f.documents === 'minimal' ? 'one minimal document per span' : 'the pure core\'s packed documents, no Redis, assembly or metrics';
          const at = `drain [${label}]: translator floor (kafkajs, record codec, SDK; ${what}; every window's spans)`;
          printed.push({ name: `${at}: CPU`, value: f.usPerSpan, unit: `µs/span (main thread ${f.mainThreadUsPerSpan}; ${f.spans} spans, ${f.spansPerDocument} spans/document, ${f.documentsPerCall} documents/call)` });
        }
        for (const f of printed) process.stderr.write(`[drain] ${f.name}: ${f.value} ${f.unit}\n`);
        figures.push(...printed);
      }
    }
    return figures;
  } finally {
    await broker?.stop();
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** prom-client's main-thread GC pause histogram (services register the default metrics with the meshray_ prefix). */
const GC_PAUSES = 'meshray_nodejs_gc_duration_seconds_sum';

const callsOf = (translator: Service, part: 'sum' | 'count'): Promise<number> =>
  metricOf(translator, `meshray_translator_documents_per_call_${part}`);
