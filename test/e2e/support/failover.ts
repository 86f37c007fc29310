/**
 * Broker failover under load (issue 10): a receiver and a translator (OS processes) on a 3-node KRaft
 * cluster (tools/kafka startCluster), the simulator's traffic through a TrafficPump plus a PROBE that posts
 * one trace every 200 ms and times it, and a WATCH of both services' /health/ready every 250 ms. Used by
 * test/failover (asserts) and bench/failover.bench.ts (long variants, prints figures).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../../../tools/kafka/kafka.mjs';
import { createKafka } from '../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../shared/edge/kafka/topics.ts';
import type { Kafka } from 'kafkajs';
import { assertLedgerDelivered } from './delivered.ts';
import { uniqueNames, type TestNames } from './kafka.ts';
import { describeProcesses, killAll, type ServiceProcess } from './processes.ts';
import { startReceiver, startTranslator, type RunningService } from './stack.ts';
import { generateTrace, Ledger, TrafficPump, widthOf } from './traffic.ts';
import { encodeSpansJsonV2 } from '../../../services/simulator/index.ts';
import { readFileSync } from 'node:fs';
import { SegmentStore } from '../../../services/xray-local/index.ts';
import { freePort } from './ports.ts';
import { startXRayLocal, type XRayLocal, storedEntityCount } from '../../support/xray-local.ts';
import { waitFor } from '../../support/wait.ts';
import { startThrottledXRayLocal, type ThrottledXRay } from '../../support/xray-throttle.ts';

export const ACK_TIMEOUT_MS = 3000;

/** One health poll: its time, the `/health/ready` status (0 = no answer) and body, and the process's RSS (MB). */
export interface Sample { readonly atMs: number; readonly status: number; readonly body: string; readonly rssMb: number }
export interface ProbeResult { readonly atMs: number; readonly status: number; readonly latencyMs: number }

/** Resident set size (MB) of `pid` from /proc/PID/status (0 when unreadable). */
export function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Math.round(Number(kb) / 1024);
  } catch {
    return 0;
  }
}

/** Polls `${url}/health/ready` until stopped (status 0 = no answer), and the largest RSS of `pid`. */
class HealthWatch {
  readonly samples: Sample[] = [];
  maxRssMb = 0;
  #stopped = false;
  readonly #done: Promise<void>;
  constructor(url: string, pid: number) {
    this.#done = (async () => {
      while (!this.#stopped) {
        const atMs = Date.now();
        const rss = rssMb(pid);
        this.maxRssMb = Math.max(this.maxRssMb, rss);
        try {
          const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
          this.samples.push({ atMs, status: res.status, body: await res.text(), rssMb: rss });
        } catch (e) {
          this.samples.push({ atMs, status: 0, body: String(e), rssMb: rss });
        }
        await sleep(250); // the watch's sampling period
      }
    })();
  }
  async stop(): Promise<Sample[]> { this.#stopped = true; await this.#done; return this.samples; }
}

/** Posts one fresh trace every 200 ms (ledgered), timing each answer. */
class Probe {
  readonly results: ProbeResult[] = [];
  #stopped = false;
  readonly #done: Promise<void>;
  constructor(url: string, ledger: Ledger) {
    this.#done = (async () => {
      for (let i = 0; !this.#stopped; i += 1) {
        const spans = generateTrace(widthOf(i));
        const atMs = Date.now();
        let status = 0;
        try {
          const res = await fetch(`${url}/api/v2/spans`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeSpansJsonV2(spans), signal: AbortSignal.timeout(10_000),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch { /* no answer: status 0 */ }
        ledger.record(spans, status);
        this.results.push({ atMs, status, latencyMs: Date.now() - atMs });
        await sleep(Math.max(0, 200 - (Date.now() - atMs))); // pacing
      }
    })();
  }
  async stop(): Promise<ProbeResult[]> { this.#stopped = true; await this.#done; return this.results; }
}

export interface FaultContext {
  readonly cluster: Cluster;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly names: TestNames;
  /** What xray-local holds, across outages and throttles (one store). */
  readonly store: SegmentStore;
  /** Stops xray-local (the translator's X-Ray) for `downMs`, then serves the same store on the same port again. */
  xrayOutage(downMs: number): Promise<void>;
  /** Swaps xray-local for a throttled one (test/support/xray-throttle.ts) until the handle's `lift()`. */
  xrayThrottle(segmentsPerSecond: number): Promise<ThrottledXRay>;
}

export interface FailoverRun {
  readonly ledger: Ledger;
  readonly documents: number;
  readonly faultAtMs: number;
  readonly faultEndMs: number;
  readonly probes: readonly ProbeResult[];
  readonly receiverHealth: readonly Sample[];
  readonly translatorHealth: readonly Sample[];
  /** From the end of the load to the group's lag 0 with every ledgered document in xray-local. */
  readonly catchUpMs: number;
  /** Whether each service is the process it was at the start, alive, and ready (200) after the run. */
  readonly sameProcesses: boolean;
  readonly receiverReadyAfter: number;
  readonly translatorReadyAfter: number;
  readonly translatorRebuilds: number;
  /** meshray_translator_dead_letters_total, and the records on the run's DLQ topic, after the run. */
  readonly deadLetters: { readonly counted: number; readonly records: number };
  readonly maxRssMb: { readonly receiver: number; readonly translator: number };
}

/** The partition with the highest end offset and its leader's node id. */
export async function busiestPartition(kafka: Kafka, topic: string): Promise<{ partition: number; leader: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const busiest = [...ends].sort((a, b) => Number(b.high) - Number(a.high))[0];
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = topics[0]?.partitions.find((x) => x.partitionId === busiest?.partition);
    if (busiest === undefined || p === undefined) throw new Error(`no partitions for ${topic}`);
    return { partition: busiest.partition, leader: p.leader };
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every partition of `topic` has all `replicas` in its ISR again. */
export async function waitFullIsr(kafka: Kafka, topic: string, replicas: number, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(`every partition of ${topic} with ${replicas} in-sync replicas`, timeoutMs, async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (topics[0]?.partitions ?? []).every((p) => p.isr.length === replicas && p.leader >= 0);
    }, { intervalMs: 500 });
  } finally {
    await admin.disconnect();
  }
}

const metricOf = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
};

const DIAGNOSTIC_METRICS = [
  'meshray_translator_assembly_late_spans_total', 'meshray_translator_consumer_rebuilds_total', 'meshray_translator_redis_fallbacks_total', 'meshray_translator_throttles_total',
];

/** Records held by `topic` (high minus low watermark, all partitions). */
async function recordsOn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs a receiver and a translator on `cluster` under `spansPerSecond` of traffic, applies `fault` once
 * documents flow, keeps the load `afterMs` longer, then checks the ledger (every span answered 202 reaches
 * xray-local exactly once per document id; throws otherwise) and reports what was seen.
 */
export async function runFailover(o: {
  cluster: Cluster; label: string; spansPerSecond: number; afterMs: number; catchUpMs?: number;
  fault: (ctx: FaultContext) => Promise<void>;
  /** Extra environment for the translator (the soaks' BENCH_TRANSLATOR_ENV). */
  translatorEnv?: Readonly<Record<string, string>>;
}): Promise<FailoverRun> {
  const names = uniqueNames(o.label);
  const kafka = createKafka({ brokers: [...o.cluster.brokerList], clientId: `e2e-${o.label}`, logLevel: 'nothing' });
  // RF 3 and min.insync.replicas 2 on the 3-node cluster (RF 1 on a single broker: BENCH_CLUSTER_NODES=1)
  const replicas = Math.min(3, o.cluster.brokerList.length);
  await ensureTopics(kafka, [{ topic: names.spansTopic, numPartitions: 6, replicationFactor: replicas, configs: { 'min.insync.replicas': String(Math.max(1, replicas - 1)) } }]);
  const xrayPort = await freePort();
  const store = new SegmentStore({ maxSegments: 1_000_000 });
  let xray: XRayLocal = await startXRayLocal({ port: xrayPort, store });
  const xrayOutage = async (downMs: number): Promise<void> => {
    await xray.close();
    await sleep(downMs); // the outage under test
    xray = await startXRayLocal({ port: xrayPort, store });
  };
  const xrayThrottle = async (segmentsPerSecond: number): Promise<ThrottledXRay> => {
    await xray.close();
    const throttled = await startThrottledXRayLocal({ port: xrayPort, store, segmentsPerSecond });
    xray = throttled.xray;
    return { ...throttled, lift: async () => { xray = await throttled.lift(); return xray; } };
  };
  const env = { KAFKA_BROKERS: o.cluster.brokers, ACK_TIMEOUT: String(ACK_TIMEOUT_MS) };
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  let watches: readonly [HealthWatch, HealthWatch] | undefined;
  let probe: Probe | undefined;
  let translatorUrl: string | undefined;
  try {
    const [receiver, translator]: RunningService[] = await Promise.all([
      startReceiver(`${o.label}-receiver`, { spansTopic: names.spansTopic, env }),
      startTranslator(`${o.label}-translator`, { ...names, xrayEndpoint: xray.endpoint, env: { ...env, ...o.translatorEnv } }),
    ]);
    if (receiver === undefined || translator === undefined) throw new Error('services did not start');
    procs.push(receiver.proc, translator.proc);
    translatorUrl = translator.url;
    const pids = procs.map((p) => p.pid);
    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: o.spansPerSecond });
    await waitFor('documents flowing', 60_000, () => storedEntityCount(xray.store) > 100);
    watches = [new HealthWatch(receiver.url, receiver.proc.pid), new HealthWatch(translator.url, translator.proc.pid)];
    probe = new Probe(receiver.url, ledger);
    await sleep(2000); // a baseline of samples before the fault
    const faultAtMs = Date.now();
    await o.fault({ cluster: o.cluster, kafka, topic: names.spansTopic, names, store, xrayOutage, xrayThrottle });
    const faultEndMs = Date.now();
    await sleep(o.afterMs); // load continues after the fault
    const probes = await probe.stop();
    await pump.stop();
    const loadEndMs = Date.now();
    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: o.catchUpMs ?? 120_000 });
    const catchUpMs = Date.now() - loadEndMs;
    const ready = async (s: RunningService): Promise<number> => (await fetch(`${s.url}/health/ready`)).status;
    await waitFor('both services ready after the run', 30_000, async () => (await ready(receiver)) === 200 && (await ready(translator)) === 200);
    const [receiverHealth, translatorHealth] = await Promise.all(watches.map((w) => w.stop()));
    return {
      ledger, documents: result.documents, faultAtMs, faultEndMs, probes, catchUpMs,
      receiverHealth: receiverHealth ?? [], translatorHealth: translatorHealth ?? [],
      sameProcesses: procs.every((p, i) => !p.exited && p.pid === pids[i]),
      receiverReadyAfter: await ready(receiver), translatorReadyAfter: await ready(translator),
      translatorRebuilds: await metricOf(translator.url, 'meshray_translator_consumer_rebuilds_total'),
      deadLetters: { counted: await metricOf(translator.url, 'meshray_translator_dead_letters_total'), records: await recordsOn(kafka, names.dlqTopic) },
      maxRssMb: { receiver: watches[0].maxRssMb, translator: watches[1].maxRssMb },
    };
  } catch (error) {
    // what the translator counted, for the diagnosis (late assembly spans: a trace translated in parts)
    const counted = translatorUrl === undefined ? '' : await Promise.all(DIAGNOSTIC_METRICS.map(async (m) => `${m} ${await metricOf(translatorUrl ?? '', m).catch(() => NaN)}`))
      .then((l) => `\ntranslator: ${l.join(', ')}`, () => '');
    // group lifecycle lines from the whole run (describeProcesses keeps only each output's tail): a rebalance
    // drops the translator's per-partition epoch caches
    const lifecycle = procs.flatMap((p) => p.output().split('\n').filter((l) => /rebalancing|partitions revoked|joined consumer group|replacing the consumer/.test(l)).map((l) => `${p.label}: ${l.slice(0, 300)}`));
    throw new Error(`${(error as Error).message}${counted}\ngroup lifecycle (${lifecycle.length} lines):\n${lifecycle.slice(-20).join('\n')}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await pump?.stop();
    await probe?.stop();
    await Promise.all((watches ?? []).map((w) => w.stop()));
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
}

/** Longest stretch (ms) of consecutive probes answered other than 202, and how many were. */
export function refusalStretch(probes: readonly ProbeResult[]): { longestMs: number; refused: number } {
  let longestMs = 0;
  let startMs: number | undefined;
  for (const p of probes) {
    if (p.status !== 202) {
      startMs ??= p.atMs;
      longestMs = Math.max(longestMs, p.atMs + p.latencyMs - startMs);
    } else startMs = undefined;
  }
  return { longestMs, refused: probes.filter((p) => p.status !== 202).length };
}

/** The q-quantile (0…1) of the probes' latencies (ms). */
export function latencyQuantile(probes: readonly ProbeResult[], q: number): number {
  const sorted = probes.map((p) => p.latencyMs).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * What the receiver's readiness must agree with (both directions): it said "not ready" only near a probe
 * that was refused (no false alarm: within ACK_TIMEOUT + 3 s of one), and a stretch of refusals longer
 * than ACK_TIMEOUT + 4 s saw it say "not ready" at least once (no "all good" through an outage).
 */
export function receiverHealthProblems(run: FailoverRun): string[] {
  const problems: string[] = [];
  const refused = run.probes.filter((p) => p.status !== 202);
  const slackMs = ACK_TIMEOUT_MS + 3000;
  for (const s of run.receiverHealth) {
    if (s.status === 200) continue;
    if (!refused.some((p) => Math.abs(p.atMs - s.atMs) <= slackMs)) problems.push(`receiver said "${s.body}" (${s.status}) at +${s.atMs - run.faultAtMs} ms with no refused request near it`);
  }
  let startMs: number | undefined;
  for (const p of run.probes) {
    if (p.status !== 202) { startMs ??= p.atMs; continue; }
    if (startMs !== undefined && p.atMs - startMs > ACK_TIMEOUT_MS + 4000
      && !run.receiverHealth.some((s) => s.status !== 200 && s.atMs >= startMs! && s.atMs <= p.atMs)) {
      problems.push(`requests were refused for ${p.atMs - startMs} ms from +${startMs - run.faultAtMs} ms while the receiver said ready`);
    }
    startMs = undefined;
  }
  return problems;
}

