/**
 * Soak variants of the failover and outage tests (issue 10), minutes long, run only by name:
 *   BENCH=failover npm run bench
 * on a 3-node KRaft cluster (RF 3, min.insync.replicas 2) under simulator load, each checked against the
 * ledger (every span answered 202 reaches xray-local exactly once per document id; it throws otherwise):
 * - the leader of the busiest partition is killed -9 and restarted BENCH_DOWNTIME_SECONDS later (60);
 * - xray-local is stopped for BENCH_XRAY_OUTAGE_SECONDS (300: issue 10's 5 minutes; 900 for the 15-minute
 *   variant) while traffic continues.
 * - X-Ray throttled (ThrottledException) at half the offered documents/s for BENCH_THROTTLE_SECONDS (300)
 *   while traffic continues (bench/support/throttle-soak.ts); it also throws if anything went to the DLQ or
 *   the translator called PutTraceSegments as often as it would without backoff.
 * BENCH_FAILOVER_ONLY=leader-kill|xray-outage|throttle runs one of them (without it: leader-kill and
 * xray-outage). BENCH_CLUSTER_NODES=1 runs them on a single broker (RF 1) instead of the 3-node cluster.
 * Prints how long the receiver refused requests (503), the probe's p99 latency during the fault, the
 * translator's catch-up time after the load, consumer rebuilds and the services' largest RSS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster } from '../tools/kafka/kafka.mjs';
import { killAll } from '../test/e2e/support/processes.ts';
import { busiestPartition, latencyQuantile, refusalStretch, runFailover, waitFullIsr, type FailoverRun } from '../test/e2e/support/failover.ts';
import type { BenchFigure } from './translate.bench.ts';
import { throttleFault } from './support/throttle-soak.ts';
import { serviceEnvOf } from './support/service-env.ts';

const seconds = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

function figuresOf(label: string, run: FailoverRun): BenchFigure[] {
  const during = run.probes.filter((p) => p.atMs >= run.faultAtMs && p.atMs <= run.faultEndMs + 5000);
  const refusals = refusalStretch(run.probes);
  return [
    { name: `${label}: spans answered 202 (all delivered exactly once)`, value: run.ledger.accepted.length, unit: 'spans' },
    { name: `${label}: spans refused (503 or no answer)`, value: run.ledger.unacknowledged.length, unit: 'spans' },
    { name: `${label}: longest stretch the receiver refused the probe`, value: refusals.longestMs, unit: 'ms' },
    { name: `${label}: probe requests refused`, value: refusals.refused, unit: `of ${run.probes.length}` },
    { name: `${label}: probe p99 latency during the fault`, value: latencyQuantile(during, 0.99), unit: 'ms' },
    { name: `${label}: probe p50 latency during the fault`, value: latencyQuantile(during, 0.5), unit: 'ms' },
    { name: `${label}: translator catch-up after the load stopped`, value: run.catchUpMs, unit: 'ms' },
    { name: `${label}: translator consumer rebuilds`, value: run.translatorRebuilds, unit: '' },
    { name: `${label}: receiver not ready`, value: run.receiverHealth.filter((s) => s.status !== 200).length, unit: `of ${run.receiverHealth.length} samples (250 ms)` },
    { name: `${label}: translator not ready`, value: run.translatorHealth.filter((s) => s.status !== 200).length, unit: `of ${run.translatorHealth.length} samples (250 ms)` },
    { name: `${label}: receiver max RSS`, value: run.maxRssMb.receiver, unit: 'MB' },
    { name: `${label}: translator max RSS`, value: run.maxRssMb.translator, unit: 'MB' },
    { name: `${label}: translator max RSS in the fault's last fifth`, value: rssByFifth(run)[4] ?? 0, unit: `MB (each fifth: ${rssByFifth(run).join(' / ')} MB)` },
  ];
}

/** The translator's largest RSS (MB) in each fifth of [faultAtMs, faultEndMs], from the health watch's samples. */
function rssByFifth(run: FailoverRun): number[] {
  const span = Math.max(1, run.faultEndMs - run.faultAtMs);
  const fifths = [0, 0, 0, 0, 0];
  for (const s of run.translatorHealth) {
    if (s.atMs < run.faultAtMs || s.atMs > run.faultEndMs) continue;
    const i = Math.min(4, Math.floor(((s.atMs - run.faultAtMs) / span) * 5));
    fifths[i] = Math.max(fifths[i] ?? 0, s.rssMb);
  }
  return fifths;
}

function runLeaderKill(cluster: Cluster, downtimeMs: number): Promise<FailoverRun> {
  return runFailover({
    cluster, label: 'soak-leader-kill', spansPerSecond: 150, afterMs: 10_000, catchUpMs: 300_000,
    fault: async ({ kafka, topic }) => {
      const { leader } = await busiestPartition(kafka, topic);
      await cluster.kill(leader, 'SIGKILL');
      await sleep(downtimeMs);
      await cluster.restart(leader);
      await waitFullIsr(kafka, topic, 3, 120_000);
    },
  });
}

/** The translator's X-Ray settings in runFailover (shared/edge/config defaults XRAY_MAX_CONCURRENCY, XRAY_RETRY_BASE). */
const XRAY_MAX_CONCURRENCY = 4;
const XRAY_RETRY_BASE_MS = 100;

async function runThrottle(cluster: Cluster, throttleMs: number): Promise<BenchFigure[]> {
  const soak = throttleFault(throttleMs, 600_000);
  const run = await runFailover({ cluster, label: 'soak-throttle', spansPerSecond: 150, afterMs: 10_000, catchUpMs: 600_000, fault: soak.fault })
    .catch((error: unknown) => {
      try {
        process.stderr.write(`throttle soak figures before the failure: ${JSON.stringify(soak.result())}\n`);
      } catch { /* the fault did not finish */ }
      throw error;
    });
  const t = soak.result();
  const label = `X-Ray throttled ${Math.round(t.throttledMs / 1000)} s at ${t.throttleSegmentsPerSecond} documents/s (half of ${t.offeredDocumentsPerSecond.toFixed(1)} offered)`;
  // Without backoff each call slot calls again as soon as it is answered (hundreds per second on loopback);
  // full-jitter backoff from XRAY_RETRY_BASE keeps each slot under one call per XRAY_RETRY_BASE.
  const callsBound = XRAY_MAX_CONCURRENCY * (1000 / XRAY_RETRY_BASE_MS);
  const problems = [
    ...(run.deadLetters.counted + run.deadLetters.records > 0 ? [`${run.deadLetters.counted} dead letters counted, ${run.deadLetters.records} records on the DLQ`] : []),
    ...(t.calls.mean >= callsBound ? [`${t.calls.mean.toFixed(1)} PutTraceSegments calls/s while throttled (bound ${callsBound})`] : []),
    ...(t.acceptedDocumentsPerSecond > t.throttleSegmentsPerSecond * 1.1 + 1 ? [`${t.acceptedDocumentsPerSecond.toFixed(1)} documents/s passed a ${t.throttleSegmentsPerSecond}/s throttle`] : []),
    ...(t.throttledCalls + t.throttledDocuments === 0 ? ['xray-local throttled nothing'] : []),
  ];
  const figures: BenchFigure[] = [
    ...figuresOf(label, run).filter((f) => !/probe|refused|receiver not ready/.test(f.name)),
    { name: `${label}: PutTraceSegments calls/s during the throttle, mean`, value: Number(t.calls.mean.toFixed(1)), unit: `calls/s (bound ${callsBound}: ${XRAY_MAX_CONCURRENCY} slots × 1000/${XRAY_RETRY_BASE_MS} ms)` },
    { name: `${label}: PutTraceSegments calls in the busiest second of the throttle`, value: t.calls.peak, unit: 'calls' },
    { name: `${label}: documents accepted by X-Ray per second during the throttle`, value: Number(t.acceptedDocumentsPerSecond.toFixed(1)), unit: 'documents/s' },
    { name: `${label}: calls answered ThrottledException as a whole / documents refused`, value: t.throttledCalls, unit: `calls / ${t.throttledDocuments} documents` },
    { name: `${label}: lag peak during the throttle`, value: t.lagPeak, unit: `records (unthrottled peak ${t.baselineLagPeak})` },
    { name: `${label}: catch-up after the lift to the unthrottled lag, traffic continuing`, value: t.catchUpMs, unit: 'ms' },
    { name: `${label}: dead letters (metric / DLQ records)`, value: run.deadLetters.counted, unit: `/ ${run.deadLetters.records}` },
  ];
  if (problems.length > 0) {
    for (const f of figures) process.stderr.write(`${f.name}: ${f.value} ${f.unit}\n`); // the figures of a failed soak too
    throw new Error(`throttle soak: ${problems.join('; ')}`);
  }
  return figures;
}

export async function runFailoverBench(): Promise<BenchFigure[]> {
  const downtimeMs = seconds('BENCH_DOWNTIME_SECONDS', 60) * 1000;
  const outageMs = seconds('BENCH_XRAY_OUTAGE_SECONDS', 300) * 1000;
  const throttleMs = seconds('BENCH_THROTTLE_SECONDS', 300) * 1000;
  const only = process.env['BENCH_FAILOVER_ONLY'];
  if (only !== undefined && !['leader-kill', 'xray-outage', 'throttle'].includes(only)) throw new Error(`BENCH_FAILOVER_ONLY=${only}: leader-kill, xray-outage or throttle`);
  const cluster = await startCluster({ nodes: seconds('BENCH_CLUSTER_NODES', 3) });
  const out: BenchFigure[] = [];
  try {
    if (only === 'throttle') return await runThrottle(cluster, throttleMs);
    if (only !== 'xray-outage') out.push(...figuresOf(`leader kill -9, ${downtimeMs / 1000} s down`, await runLeaderKill(cluster, downtimeMs)));
    if (only === 'leader-kill') return out;
    const outage = await runFailover({
      translatorEnv: serviceEnvOf(process.env['BENCH_TRANSLATOR_ENV']),
      cluster, label: 'soak-xray-outage', spansPerSecond: 150, afterMs: 10_000, catchUpMs: 300_000,
      fault: ({ xrayOutage }) => xrayOutage(outageMs),
    });
    out.push(...figuresOf(`X-Ray down ${outageMs / 1000} s`, outage));
  } finally {
    await killAll();
    await cluster.stop();
  }
  return out;
}
