/**
 * Receiver vs the Zipkin server, core for core: each in turn pinned to the server core, the same bodies and
 * wrk settings, at saturation and at the fixed rates; meshray's receiver with ACK_MODE=kafka (acks=all,
 * idempotent) to the real broker, whose CPU is printed on its own line.
 */
import { existsSync } from 'node:fs';
import type { BenchFigure } from '../translate.bench.ts';
import { round, rssMibOf, stopChild } from '../support/processes.ts';
import type { CompareContext, CompareSection } from './index.ts';
import { measure, type CompareTarget, type Measured } from './measure.ts';
import { bucketQuantiles, bucketsOf, metricOf, startMeshray } from './meshray.ts';
import { GENERATOR_LAG_MS, measureOpenLoop, STALL_MS, type OpenLoopMeasured, type Stall } from './open-loop.ts';
import { brokerSafepoints, pausesBehind, type Safepoint } from '../support/jvm-safepoints.ts';
import { gcPauses } from '../support/gc-timeline.ts';
import { startZipkin } from './zipkin.ts';
import { startNodeFloor } from './node-floor.ts';

const rateName = (m: Measured): string => (m.targetSpansPerS === undefined ? 'saturated' : `at ${m.targetSpansPerS} spans/s`);

function figuresOf(label: string, m: Measured): BenchFigure[] {
  const out: BenchFigure[] = [
    { name: `${label} ${rateName(m)}: spans accepted per second`, value: round(m.spansPerS), unit: 'spans/s' },
  ];
  for (const [process, us] of Object.entries(m.cpuUsPerSpan)) {
    // a Node process' main thread against its other threads (V8's GC helpers); a JVM's main thread only waits
    const main = process === 'receiver' ? `; main thread ${round(m.mainThreadUsPerSpan[process] ?? 0, 1)}` : '';
    out.push({ name: `${label} ${rateName(m)}: CPU ${process}`, value: round(us, 1), unit: `µs/span (kernel ${round(m.systemUsPerSpan[process] ?? 0, 1)}${main})` });
  }
  out.push({ name: `${label} ${rateName(m)}: POST latency p50 / p99 (wrk, not CO-corrected)`, value: round(m.wrk.p50Us / 1000, 1), unit: `ms / ${round(m.wrk.p99Us / 1000, 1)} ms` });
  if (m.wrk.non2xx + m.wrk.socketErrors > 0) out.push({ name: `${label} ${rateName(m)}: refused or failed POSTs`, value: m.wrk.non2xx + m.wrk.socketErrors, unit: 'requests' });
  return out;
}

/** BENCH_OPEN_LOOP_RATES (spans/s, default "10000"; "" for none): fixed rates measured open-loop (open-loop.ts). */
const openLoopRates = (): number[] => (process.env['BENCH_OPEN_LOOP_RATES'] ?? '10000').split(',').filter(Boolean).map(Number);

/**
 * Where an open-loop point's latency went, from the receiver's own histograms over the run (warm-up included):
 * its Kafka sendBatch calls (every request waits for one with ACK_MODE=kafka) and its main-thread GC pauses.
 */
interface LatencyAttribution {
  readonly sends: { count: number; bounds: number[] };
  readonly gc: { count: number; bounds: number[] };
  /** GC pauses longer than 10 ms, in all and by kind (prom-client's `kind` label: major, minor, incremental, weakcb). */
  readonly gcOver10ms: number;
  readonly gcOver10msByKind: Readonly<Record<string, number>>;
}

const GC_KINDS = ['major', 'minor', 'incremental', 'weakcb'] as const;

const PUBLISH_DURATION = 'meshray_receiver_publish_duration_seconds';
const GC_DURATION = 'meshray_nodejs_gc_duration_seconds';

async function attributionOf(url: string, run: () => Promise<OpenLoopMeasured>): Promise<[OpenLoopMeasured, LatencyAttribution]> {
  const scrape = async (): Promise<[Map<number, number>, Map<number, number>, Map<number, number>[]]> => [
    await bucketsOf(url, PUBLISH_DURATION), await bucketsOf(url, GC_DURATION), await Promise.all(GC_KINDS.map((k) => bucketsOf(url, GC_DURATION, `kind="${k}"`))),
  ];
  const [sends0, gc0, kinds0] = await scrape();
  const measured = await run();
  const [sends1, gc1, kinds1] = await scrape();
  const over10ms = (a: Map<number, number>, b: Map<number, number>): number =>
    (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0) - ((b.get(0.01) ?? 0) - (a.get(0.01) ?? 0));
  const gcOver10msByKind = Object.fromEntries(GC_KINDS.map((k, i) => [k, over10ms(kinds0[i] ?? new Map(), kinds1[i] ?? new Map())]));
  return [measured, { sends: bucketQuantiles(sends0, sends1, [0.5, 0.99]), gc: bucketQuantiles(gc0, gc1, [0.5, 0.99]), gcOver10ms: over10ms(gc0, gc1), gcOver10msByKind }];
}

const ms = (seconds: number | undefined): string => (seconds === undefined || Number.isNaN(seconds) ? '?' : `${round(seconds * 1000, 1)} ms`);

function attributionFiguresOf(at: string, a: LatencyAttribution): BenchFigure[] {
  return [
    { name: `${at}: Kafka sendBatch calls, p50 / p99 at most (receiver's histogram, warm-up included)`, value: a.sends.count,
      unit: `calls, ≤ ${ms(a.sends.bounds[0])} / ≤ ${ms(a.sends.bounds[1])}` },
    { name: `${at}: receiver GC pauses (main thread, warm-up included)`, value: a.gc.count,
      unit: `pauses, p99 ≤ ${ms(a.gc.bounds[1])}, ${a.gcOver10ms} over 10 ms (${GC_KINDS.map((k) => `${k} ${a.gcOver10msByKind[k] ?? 0}`).join(', ')})` },
  ];
}

const clock = (epochMs: number): string => new Date(epochMs).toISOString().slice(11, 23);

/**
 * The run's stalls (answers over STALL_MS), worst first, each with the longest broker stop-the-world pause
 * that overlapped it (bench/support/jvm-safepoints.ts), and the broker's pauses over the run: is a bad p99
 * the receiver's doing or the broker's (a 202 waits for acks=all)?
 */
export function stallFiguresOf(at: string, m: OpenLoopMeasured, gcLog: string | undefined, receiverGcTimeline?: string): BenchFigure[] {
  const during = (p: Safepoint): boolean => p.startEpochMs + p.totalMs >= m.fromEpochMs && p.startEpochMs <= m.toEpochMs;
  const safepoints = brokerSafepoints(gcLog).filter(during);
  const stalls = m.result.stalls;
  const behind = pausesBehind(stalls, safepoints);
  const logged = gcLog !== undefined && existsSync(gcLog);
  const gcLogged = receiverGcTimeline !== undefined && existsSync(receiverGcTimeline);
  const receiverGc = gcPauses(receiverGcTimeline).filter(during);
  const gcBehind = pausesBehind(stalls, receiverGc, 2);
  const lags = m.result.generatorLags;
  const lagIn = (s: Stall): number => Math.max(0, ...lags.filter((l) => l.atEpochMs >= s.atEpochMs - 20 && l.atEpochMs <= s.atEpochMs + s.spanMs).map((l) => l.lateMs));
  const listed = stalls.slice(0, 5).map((s, i) => {
    const p = behind[i];
    const lag = lagIn(s);
    const broker = !logged ? 'broker pauses not logged' : p ? `broker paused ${round(p.totalMs, 1)} ms: ${p.operation}` : 'no broker pause ≥ 5 ms';
    const g = gcBehind[i];
    const gc = !gcLogged ? '' : g ? `, receiver GC ${round(g.totalMs, 1)} ms (${g.operation})` : ', no receiver GC ≥ 2 ms';
    return `${s.worstMs} ms at ${clock(s.atEpochMs)} (${s.requests} slow, ${broker}${gc}, ${lag > 0 ? `generator ${lag} ms late` : 'generator on time'})`;
  });
  const over = (ms: number): number => safepoints.filter((p) => p.totalMs >= ms).length;
  const out: BenchFigure[] = [
    { name: `${at}: stalls (answers over ${STALL_MS} ms), worst first`, value: stalls.length, unit: `stalls${stalls.length === 10 ? ' or more' : ''}${listed.length > 0 ? `: ${listed.join('; ')}` : ''}` },
    ...(logged ? [{ name: `${at}: stalls with a broker pause ≥ 5 ms behind them`, value: behind.filter((p) => p !== undefined).length, unit: `of ${stalls.length}` }] : []),
    { name: `${at}: stalls during which the generator itself ran over ${GENERATOR_LAG_MS} ms late`, value: stalls.filter((s) => lagIn(s) > 0).length,
      unit: `of ${stalls.length} (its ticks that late in the run: ${lags.length}, longest ${Math.max(0, ...lags.map((l) => l.lateMs))} ms)` },
  ];
  if (gcLogged) {
    const gcOver = (ms: number): number => receiverGc.filter((p) => p.totalMs >= ms).length;
    out.push({ name: `${at}: stalls with a receiver GC pause ≥ 2 ms behind them`, value: gcBehind.filter((p) => p !== undefined).length, unit: `of ${stalls.length}` });
    out.push({ name: `${at}: receiver GC pauses during the run`, value: receiverGc.length,
      unit: `pauses ≥ 1 ms, ${gcOver(5)} ≥ 5 ms, ${gcOver(10)} ≥ 10 ms, longest ${round(Math.max(0, ...receiverGc.map((p) => p.totalMs)), 1)} ms` });
  }
  if (logged) {
    out.push({ name: `${at}: broker stop-the-world pauses during the run`, value: safepoints.length,
      unit: `pauses, ${over(5)} ≥ 5 ms, ${over(20)} ≥ 20 ms, longest ${round(Math.max(0, ...safepoints.map((p) => p.totalMs)), 1)} ms` });
  }
  return out;
}

function openLoopFiguresOf(rate: number, m: OpenLoopMeasured, gcLog: string | undefined): BenchFigure[] {
  const timeline = process.env['BENCH_RECEIVER_GC_TIMELINE'];
  const r = m.result;
  const at = `meshray receiver open-loop at ${rate} spans/s`;
  const out: BenchFigure[] = [
    { name: `${at}: spans accepted per second`, value: round(m.spansPerS), unit: 'spans/s' },
    { name: `${at}: POST latency p50 / p99 / p99.9 / max (CO-corrected)`, value: round(r.p50Ms, 1),
      unit: `ms / ${round(r.p99Ms, 1)} ms / ${round(r.p999Ms, 1)} ms / ${round(r.maxMs, 1)} ms (${r.requests} requests, at most ${r.maxOutstanding} outstanding)`,
      target: rate === 10_000 ? 'p99 <= 20 ms' : '' },
  ];
  for (const [process, us] of Object.entries(m.cpuUsPerSpan)) out.push({ name: `${at}: CPU ${process}`, value: round(us, 1), unit: 'µs/span' });
  out.push(...stallFiguresOf(at, m, gcLog, timeline));
  if (r.failed > 0) out.push({ name: `${at}: refused or failed POSTs`, value: r.failed, unit: 'requests' });
  return out;
}

/** Hooks around each load point (e.g. reading a service's counters). */
interface PointObserver {
  before(): Promise<void>;
  after(m: Measured): Promise<void>;
}

async function runPoints(target: CompareTarget, ctx: CompareContext, observer?: PointObserver): Promise<Measured[]> {
  const points: Measured[] = [];
  const saturate = process.env['BENCH_COMPARE_SATURATED'] !== '0';
  for (const rate of saturate ? [undefined, ...ctx.rates] : ctx.rates) {
    await observer?.before();
    const m = await measure(target, ctx.settings, rate);
    points.push(m);
    await observer?.after(m);
    ctx.log(`${target.label} ${rateName(m)} done; load ${ctx.load()}`);
  }
  return points;
}

async function runReceiverVsZipkin(ctx: CompareContext): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  let zipkinPoints: Measured[] = [];
  if (process.env['BENCH_COMPARE_ZIPKIN'] !== '0') {
    const zipkin = await startZipkin(ctx.serverCore, ctx.log);
    try {
      zipkinPoints = await runPoints(zipkin, ctx);
    } finally {
      await stopChild(zipkin.child);
    }
  }
  // The Node.js floor on the same points (BENCH_COMPARE_FLOOR=0 skips it): node's http server reading and
  // JSON.parse-ing each body, nothing else. What the receiver costs above it is its own doing.
  let floorPoints: Measured[] = [];
  if (process.env['BENCH_COMPARE_FLOOR'] !== '0') {
    const floor = await startNodeFloor('zipkin', ctx.serverCore);
    try {
      floorPoints = await runPoints(floor, ctx);
    } finally {
      await stopChild(floor.child);
    }
  }
  const run = `${process.pid}-${Date.now()}`;
  const receiver = await startMeshray('receiver', 'receiver', ctx.serverCore, (port) => ({
    KAFKA_BROKERS: ctx.brokers, SPANS_TOPIC: `meshray.compare.${run}`, DLQ_TOPIC: `meshray.compare.${run}.dlq`,
    RECEIVER_PORT: String(port), RECEIVER_HOST: '127.0.0.1', ACK_MODE: 'kafka', ...ctx.serviceEnv,
  }));
  const target: CompareTarget = { ...receiver, pids: { ...receiver.pids, 'kafka broker': ctx.brokerPid } };
  const perRecord: BenchFigure[] = [];
  let rssMib = NaN;
  let spans0 = 0;
  let records0 = 0;
  const published = (name: string): Promise<number> => metricOf(receiver.url, `meshray_receiver_${name}_published_total`);
  let points: Measured[];
  const openLoop: OpenLoopMeasured[] = [];
  const attributions: LatencyAttribution[] = [];
  try {
    points = await runPoints(target, ctx, {
      before: async () => { [spans0, records0] = [await published('spans'), await published('records')]; },
      after: async (m) => {
        if (m.targetSpansPerS === undefined) rssMib = rssMibOf(receiver.child.pid);
        const [spans1, records1] = [await published('spans'), await published('records')];
        if (records1 > records0) perRecord.push({ name: `receiver spans per Kafka record ${rateName(m)}`, value: round((spans1 - spans0) / (records1 - records0), 1), unit: 'spans/record' });
      },
    });
    for (const rate of openLoopRates()) {
      [spans0, records0] = [await published('spans'), await published('records')];
      const [measured, attribution] = await attributionOf(receiver.url, () => measureOpenLoop(target, ctx.settings, rate, ctx.settings.rateConnections * 4));
      openLoop.push(measured);
      attributions.push(attribution);
      const [spans1, records1] = [await published('spans'), await published('records')];
      if (records1 > records0) perRecord.push({ name: `receiver spans per Kafka record open-loop at ${rate} spans/s (warm-up included)`, value: round((spans1 - spans0) / (records1 - records0), 1), unit: 'spans/record' });
      ctx.log(`receiver open-loop at ${rate} spans/s done; load ${ctx.load()}`);
    }
  } finally {
    await stopChild(receiver.child);
  }
  for (const [i, m] of points.entries()) {
    const z = zipkinPoints[i];
    if (z !== undefined) figures.push(...figuresOf('zipkin-server', z));
    const f = floorPoints[i];
    if (f !== undefined) figures.push(...figuresOf('node floor (http + JSON.parse only)', f));
    figures.push(...figuresOf('meshray receiver', m));
    if (f !== undefined) {
      figures.push({ name: `${rateName(m)}: the receiver's CPU above the Node floor's`, value: round((m.cpuUsPerSpan['receiver'] ?? NaN) - (f.cpuUsPerSpan['node floor'] ?? NaN), 1), unit: 'µs/span' });
    }
    if (z === undefined) continue;
    const receiverUs = m.cpuUsPerSpan['receiver'] ?? NaN;
    const zipkinUs = z.cpuUsPerSpan['zipkin-server'] ?? NaN;
    figures.push({ name: `${rateName(m)}: Zipkin's CPU per span ÷ the receiver's (per-core rate ratio)`, value: round(zipkinUs / receiverUs, 2), unit: '×', target: m.targetSpansPerS === undefined ? '>= 1.1' : '' });
  }
  if (Number.isFinite(rssMib)) figures.push({ name: 'receiver RSS after saturation', value: round(rssMib), unit: 'MiB', target: '<= 256' });
  figures.push(...perRecord);
  for (const [i, m] of openLoop.entries()) {
    const rate = openLoopRates()[i] as number;
    figures.push(...openLoopFiguresOf(rate, m, ctx.brokerGcLog));
    const attribution = attributions[i];
    if (attribution !== undefined) figures.push(...attributionFiguresOf(`meshray receiver open-loop at ${rate} spans/s`, attribution));
  }
  return figures;
}

export const receiverSection: CompareSection = { name: 'receiver', run: runReceiverVsZipkin };
