/**
 * End-to-end figures on the real pipeline: receiver → Kafka (real broker) → translator → xray-local, each a
 * separate process started through the CLI, load from the Bookinfo simulator (`runDemo`, Envoy-sized batches
 * of 5 spans) in this process. Everything shares the machine's cores, so the figures are CPU per span.
 *
 * 1. Receiver latency: ~5k spans/s for BENCH_LATENCY_SECONDS (default 20), ACK_MODE=kafka; p50/p99/max of
 *    each POST measured around the transport (keep-alive node:http).
 * 2. Sustained throughput: as fast as the receiver takes them for BENCH_E2E_SECONDS (default 30), then the
 *    pipeline drains; end-to-end rate = documents landed in xray-local / (first send → last document landed).
 *    Zero loss: the segments and subsegments xray-local stored (nested ones included: PACKING=on nests a
 *    hop's subsegments in its segment's document) cover what `translateSpans` makes of every span answered
 *    202 (the ledger). CPU seconds of each process over the window come from /proc/<pid>/stat.
 *
 * Knobs (environment): KAFKA_BROKERS (else a broker is started and stopped here; BENCH_BROKER_PID=<its JVM
 * pid> adds its CPU), BENCH_TRANSLATORS (1),
 * BENCH_EPOCH_STORE (memory; `redis` uses REDIS_URL), BENCH_CONCURRENCY (POSTs in flight, 256: a fleet of Envoys),
 * BENCH_CPU_PROF=<dir> (each service writes .cpuprofile files to <dir>/<service>; bench/profile-summary.ts reads them), BENCH_COMPILED=1 (run dist/, after
 * `npm run build`), BENCH_SERVICE_ENV='K=V,K=V' (extra env for the services, e.g. BATCH_LINGER=10).
 */
import { cpus } from 'node:os';
import type { Span } from '../shared/core/zipkin/span.ts';
import { httpTransport, runDemo, spansForRoundRobin, type PostTransport } from '../services/simulator/index.ts';
import {
  cpuSnapshot, expectedDocuments, freePort, logger, metricOf, num, percentile, readLoad, round, spawnService, stopService,
  startBenchBroker, storedOf, waitLanded, waitReady, type BenchBroker, type Service,
} from './support/services.ts';
import type { BenchFigure } from './translate.bench.ts';

const env = process.env;
const log = logger('e2e');

// ---------------------------------------------------------------- the bench

export async function runEndToEndBench(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const started = Date.now();
  let broker: BenchBroker | undefined;
  const services: Service[] = [];
  try {
    broker = await startBenchBroker(log);
    const { brokers, pid: brokerPid } = broker;
    const run = `${process.pid}-${Date.now()}`;
    const topics = { SPANS_TOPIC: `meshray.bench.${run}`, DLQ_TOPIC: `meshray.bench.${run}.dlq` };
    const [xrayPort, receiverPort] = [await freePort(), await freePort()];
    const xray = spawnService('xray-local', 'xray-local', xrayPort, { XRAY_LOCAL_PORT: String(xrayPort), XRAY_LOCAL_HOST: '127.0.0.1' });
    const receiver = spawnService('receiver', 'receiver', receiverPort, {
      KAFKA_BROKERS: brokers, ...topics, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
    });
    services.push(xray, receiver);
    await Promise.all([waitReady(xray, 60_000), waitReady(receiver, 60_000)]); // the receiver creates the topic
    const translators: Service[] = [];
    for (let i = 0; i < num('BENCH_TRANSLATORS', 1); i++) {
      const opsPort = await freePort();
      translators.push(spawnService(`translator-${i + 1}`, 'translator', opsPort, {
        KAFKA_BROKERS: brokers, ...topics, TRANSLATOR_GROUP_ID: `meshray.bench.${run}`, XRAY_ENDPOINT: xray.url,
        TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', EPOCH_STORE: env['BENCH_EPOCH_STORE'] ?? 'memory',
      }));
    }
    services.push(...translators);
    await Promise.all(translators.map((t) => waitReady(t, 90_000)));
    log(`services ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${env['BENCH_COMPILED'] === '1' ? 'dist/' : 'tsx'}); load ${readLoad()}`);
    const concurrency = num('BENCH_CONCURRENCY', 256);

    // 1. receiver latency at ~5k spans/s (also warms every process up)
    const latencySeconds = num('BENCH_LATENCY_SECONDS', 20);
    const spansPerRequest = spansForRoundRobin('1.7.4', 3000) / 3000;
    const latencies: number[] = [];
    const timed: PostTransport = (url, body, timeoutMs, signal) => {
      const t0 = performance.now();
      return httpTransport(url, body, timeoutMs, signal).then((answer) => {
        latencies.push(performance.now() - t0);
        return answer;
      });
    };
    const warmLedger: Span[] = [];
    const latencyRun = await runDemo({
      target: receiver.url, rate: 5000 / spansPerRequest, durationMs: latencySeconds * 1000, seed: 1, concurrency,
      batchSize: 5, flushIntervalMs: 1000, transport: timed, onSpansAccepted: (spans) => { warmLedger.push(...spans); },
    });
    latencies.sort((a, b) => a - b);
    figures.push(
      { name: 'receiver offered load (latency run)', value: round((latencyRun.spansSent * 1000) / latencyRun.durationMs), unit: 'spans/s' },
      { name: 'receiver POST latency p50 at 5k spans/s (ACK_MODE=kafka)', value: round(percentile(latencies, 50), 2), unit: 'ms' },
      { name: 'receiver POST latency p99 at 5k spans/s (ACK_MODE=kafka)', value: round(percentile(latencies, 99), 2), unit: 'ms' },
      { name: 'receiver POST latency max at 5k spans/s (ACK_MODE=kafka)', value: round(latencies.at(-1) ?? NaN, 2), unit: 'ms' },
      { name: 'receiver refused spans (latency run)', value: latencyRun.spansRefused, unit: 'spans', target: '0' },
    );
    const warmExpected = expectedDocuments(warmLedger);
    const warm = await waitLanded(xray, warmExpected, 60_000);
    if (warm.entities < warmExpected) log(`latency run: only ${warm.entities} of ${warmExpected} documents landed`);
    log(`latency run done: ${latencyRun.spansAccepted} spans accepted, ${warmExpected} documents landed`);

    // 2. sustained end-to-end throughput
    const seconds = num('BENCH_E2E_SECONDS', 30);
    const ledger: Span[] = [];
    const before = (await storedOf(xray)).entities;
    const cpuBefore = cpuSnapshot(services, brokerPid);
    const loadBefore = readLoad();
    const t0 = Date.now();
    const demo = await runDemo({
      target: receiver.url, rate: Infinity, durationMs: seconds * 1000, seed: 2, concurrency,
      batchSize: 5, flushIntervalMs: 1000, onSpansAccepted: (spans) => { ledger.push(...spans); },
    });
    const sentMs = Date.now() - t0;
    const ledgerCpu = process.cpuUsage();
    const expected = expectedDocuments(ledger);
    const { user, system } = process.cpuUsage(ledgerCpu);
    const ledgerCpuS = (user + system) / 1e6; // the bench's own bookkeeping, not load generation
    const landed = await waitLanded(xray, before + expected, 120_000);
    const cpuAfter = cpuSnapshot(services, brokerPid);
    const windowS = (landed.landedAtMs - t0) / 1000;
    const accepted = landed.entities - before;
    const rejected = await metricOf(xray, 'meshray_xray_local_segments_rejected_total');
    const published = await metricOf(receiver, 'meshray_receiver_spans_published_total');
    const perSend = (await metricOf(receiver, 'meshray_receiver_publish_batch_spans_sum')) / (await metricOf(receiver, 'meshray_receiver_publish_batch_spans_count'));
    const t1 = translators[0];
    const perCall = t1 ? (await metricOf(t1, 'meshray_translator_documents_per_call_sum')) / (await metricOf(t1, 'meshray_translator_documents_per_call_count')) : NaN;
    const batches = (await Promise.all(translators.map((t) => metricOf(t, 'meshray_translator_batches_total')))).reduce((a, b) => a + b, 0);
    log(`whole run: mean spans per Kafka send ${perSend.toFixed(0)}, mean documents per PutTraceSegments ${perCall.toFixed(1)}, translator batches ${batches}`);
    log(`throughput run: ${demo.spansAccepted} spans accepted in ${(sentMs / 1000).toFixed(1)} s, ${accepted}/${expected} documents landed after ${windowS.toFixed(1)} s; responses ${JSON.stringify(demo.responses)}; published ${published}; load before ${loadBefore}, after ${readLoad()}`);
    figures.push(
      { name: 'offered rate (max, 5 spans/POST)', value: round((demo.spansSent * 1000) / sentMs), unit: 'spans/s' },
      { name: 'receiver acceptance rate', value: round((demo.spansAccepted * 1000) / sentMs), unit: 'spans/s' },
      { name: 'end-to-end rate (receiver → Kafka → translator → xray-local)', value: round((demo.spansAccepted) / windowS), unit: 'spans/s', target: '>= 20000' },
      { name: 'end-to-end segments and subsegments landed per second (nested ones included)', value: round(accepted / windowS), unit: 'documents/s' },
      { name: 'lost segments and subsegments (of spans answered 202, not in xray-local)', value: Math.max(0, expected - accepted), unit: 'documents', target: '0' },
      { name: 'documents rejected by xray-local', value: rejected, unit: 'documents', target: '0' },
    );
    figures.push({ name: 'load average (1 min) after the throughput run: other work on this machine skews every rate above', value: Number(readLoad().split(' ')[0]), unit: `on ${cpus().length} cores` });
    const spans = Math.max(1, demo.spansAccepted);
    let totalUs = 0;
    for (const [label, secs] of Object.entries(cpuAfter)) {
      const used = secs - (cpuBefore[label] ?? 0) - (label === 'load generator' ? ledgerCpuS : 0);
      totalUs += (used * 1e6) / spans;
      figures.push({ name: `CPU ${label} (${(used / windowS * 100).toFixed(0)} % of a core)`, value: round((used * 1e6) / spans, 1), unit: 'µs/span' });
    }
    // What the machine could carry if this pipeline had every core to itself: the figure to compare with the
    // target when other work (see the load average) takes most of the CPU.
    figures.push({ name: `capacity implied by CPU per span (${cpus().length} cores ÷ ${round(totalUs)} µs/span, all processes)`, value: round((cpus().length * 1e6) / totalUs), unit: 'spans/s', target: '>= 20000' });
  } finally {
    await Promise.all(services.map(stopService));
    await broker?.stop();
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return figures;
}
