/**
 * The all-in-one (`meshray start`: receiver, translator and xray-local in one process, an in-process topic in
 * Kafka's place) under load from the Bookinfo simulator (Envoy-sized POSTs of 5 spans), issue 9 goal 4:
 * 1. capacity: offered as fast as it takes them for BENCH_AIO_SECONDS (20); capacity = spans translated per
 *    second over the run (what it exports, not what it buffers); the 503s it answered are printed;
 * 2. the pipeline drains;
 * 3. steady load at 80 % of that capacity (fixed rate) for BENCH_AIO_SECONDS: 503 answers (target 0), µs CPU
 *    per span of the all-in-one process (target ≤ 70), documents per PutTraceSegments call.
 * BENCH_PIN=0 leaves the processes unpinned; by default the all-in-one runs on core 0 and this process (the
 * load generator) on core 1, as in the side-by-side runs.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { runDemo, spansForRoundRobin, type DemoSummary } from '../../services/simulator/index.ts';
import {
  cpuSecondsOf, freePort, logger, metricOf, num, readLoad, round, sleep, spawnService, stopService, waitReady, type Service,
} from '../support/services.ts';
import type { BenchFigure } from '../translate.bench.ts';

const log = logger('all-in-one');
const SPANS_PER_REQUEST = spansForRoundRobin('1.7.4', 3000) / 3000;

const refusedPosts = (run: DemoSummary): number => run.responses['503'] ?? 0;
const translated = (aio: Service): Promise<number> => metricOf(aio, 'meshray_translator_spans_translated_total');

async function load(aio: Service, spansPerSecond: number, seconds: number, seed: number): Promise<DemoSummary> {
  return runDemo({
    target: aio.url, rate: spansPerSecond / SPANS_PER_REQUEST, durationMs: seconds * 1000, seed, concurrency: 256,
    batchSize: 5, flushIntervalMs: 1000, maxRetries: 0,
  });
}

/** Waits until the all-in-one translated every span it accepted (its in-process topic is empty). */
async function drained(aio: Service, acceptedSpans: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await translated(aio)) < acceptedSpans) await sleep(200);
}

export async function runAllInOneBench(): Promise<BenchFigure[]> {
  const started = Date.now();
  const pin = process.env['BENCH_PIN'] !== '0' && cpus().length >= 2;
  if (pin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const [receiverPort, xrayPort] = [await freePort(), await freePort()];
  const aio = spawnService('all-in-one', 'start', receiverPort, {
    RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: String(xrayPort), XRAY_LOCAL_HOST: '127.0.0.1',
  }, pin ? 0 : undefined);
  try {
    await waitReady(aio, 90_000);
    const seconds = num('BENCH_AIO_SECONDS', 20);
    let accepted = 0;
    const warm = await load(aio, 3000, 5, 1);
    accepted += warm.spansAccepted;
    await drained(aio, accepted, 60_000);

    // 1. capacity
    const before = await translated(aio);
    const t0 = Date.now();
    const saturated = await load(aio, Infinity, seconds, 2);
    const capacity = ((await translated(aio)) - before) / ((Date.now() - t0) / 1000);
    accepted += saturated.spansAccepted;
    log(`saturation: offered ${round(saturated.spansSent / seconds)} spans/s, accepted ${round(saturated.spansAccepted / seconds)}, exported ${round(capacity)}; responses ${JSON.stringify(saturated.responses)}`);
    await drained(aio, accepted, 120_000);

    // 3. steady at 80 % of capacity
    const rate = 0.8 * capacity;
    const cpu0 = cpuSecondsOf(aio.child.pid);
    const [calls0, docs0] = [await metricOf(aio, 'meshray_translator_documents_per_call_count'), await metricOf(aio, 'meshray_translator_documents_per_call_sum')];
    const loadBefore = readLoad();
    const steady = await load(aio, rate, seconds, 3);
    accepted += steady.spansAccepted;
    await drained(aio, accepted, 60_000);
    const cpu = cpuSecondsOf(aio.child.pid) - cpu0;
    const calls = (await metricOf(aio, 'meshray_translator_documents_per_call_count')) - calls0;
    const perCall = ((await metricOf(aio, 'meshray_translator_documents_per_call_sum')) - docs0) / Math.max(1, calls);
    log(`steady: ${round(steady.spansAccepted / seconds)} spans/s accepted of ${round(rate)} asked; responses ${JSON.stringify(steady.responses)}; load before ${loadBefore}, after ${readLoad()}`);
    return [
      { name: `all-in-one capacity (spans exported/s at saturation${pin ? ', pinned to one core' : ''})`, value: round(capacity), unit: 'spans/s', target: '>= 12000' },
      { name: 'all-in-one POSTs answered 503 at saturation', value: refusedPosts(saturated), unit: 'POSTs' },
      { name: 'all-in-one steady rate offered (80 % of capacity)', value: round(steady.spansSent / seconds), unit: 'spans/s' },
      { name: 'all-in-one POSTs answered 503 at 80 % of capacity', value: refusedPosts(steady), unit: 'POSTs', target: '0' },
      { name: 'all-in-one CPU at 80 % of capacity', value: round((cpu * 1e6) / Math.max(1, steady.spansAccepted), 1), unit: 'µs/span', target: '<= 70' },
      { name: 'all-in-one documents per PutTraceSegments call at 80 % of capacity', value: round(perCall, 1), unit: 'documents' },
      { name: 'all-in-one: load average (1 min) after', value: Number(readLoad().split(' ')[0]), unit: 'runnable' },
    ];
  } finally {
    await stopService(aio);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
