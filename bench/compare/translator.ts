/**
 * The translator drain (issue 9, goals 2, 3 and 6): a translator process drains a preloaded span topic
 * through the real @aws-sdk/client-xray into an xray-local process, with Redis epoch agreement on
 * (EPOCH_STORE=redis, REDIS_URL). Figures: µs CPU per span of the translator, µs CPU per document stored of
 * xray-local, the broker's CPU per span, and documents per PutTraceSegments call under backlog.
 *
 * How: the receiver (a process) loads a warm-up set; the translator drains it (startup and JIT warm-up are
 * not measured), then is frozen (SIGSTOP) while the receiver preloads BENCH_DRAIN_SPANS spans (default
 * 100,000); the receiver stops, CPU is read from /proc/<pid>/stat, the translator resumes (SIGCONT) and
 * drains the backlog until xray-local holds every document the ledger expects, and CPU is read again.
 * The seed changes per run, so the Redis epoch entries are new (a real first sight of each trace).
 *
 * Knobs: BENCH_DRAIN_SPANS, KAFKA_BROKERS/BENCH_BROKER_PID, BENCH_SERVICE_ENV (e.g. EXPORT_LINGER=0),
 * BENCH_CPU_PROF, BENCH_COMPILED (bench/support/services.ts).
 */
import type { Span } from '../../shared/core/zipkin/span.ts';
import { runDemo, spansForRoundRobin } from '../../services/simulator/index.ts';
import {
  cpuSecondsOf, expectedDocuments, freePort, logger, metricOf, num, readLoad, round, spawnService, startBenchBroker, stopService,
  waitLanded, waitReady, type BenchBroker, type Service,
} from '../support/services.ts';
import type { BenchFigure } from '../translate.bench.ts';

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

export async function runTranslatorDrainBench(): Promise<BenchFigure[]> {
  const started = Date.now();
  let broker: BenchBroker | undefined;
  const services: Service[] = [];
  try {
    broker = await startBenchBroker(log);
    const run = `${process.pid}-${Date.now()}`;
    const topics = { SPANS_TOPIC: `meshray.drain.${run}`, DLQ_TOPIC: `meshray.drain.${run}.dlq` };
    const [xrayPort, receiverPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const xray = spawnService('xray-local', 'xray-local', xrayPort, { XRAY_LOCAL_PORT: String(xrayPort), XRAY_LOCAL_HOST: '127.0.0.1' });
    const receiver = spawnService('receiver', 'receiver', receiverPort, {
      KAFKA_BROKERS: broker.brokers, ...topics, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
    });
    services.push(xray, receiver);
    await Promise.all([waitReady(xray, 60_000), waitReady(receiver, 60_000)]);
    const translator = spawnService('translator', 'translator', opsPort, {
      KAFKA_BROKERS: broker.brokers, ...topics, TRANSLATOR_GROUP_ID: `meshray.drain.${run}`, XRAY_ENDPOINT: xray.url,
      TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', EPOCH_STORE: 'redis',
    });
    services.push(translator);
    await waitReady(translator, 90_000);
    const seed = Date.now() % 1_000_000;

    // warm-up: the translator drains a first set, then is frozen
    const warm = expectedDocuments(await preload(receiver, num('BENCH_DRAIN_WARM_SPANS', 20_000), seed));
    const warmLanded = await waitLanded(xray, warm, 120_000);
    if (warmLanded.accepted < warm) throw new Error(`warm-up: only ${warmLanded.accepted} of ${warm} documents landed`);
    const callsBefore = await callsOf(translator, 'count');
    const docsBefore = await callsOf(translator, 'sum');
    translator.child.kill('SIGSTOP');
    const ledger = await preload(receiver, num('BENCH_DRAIN_SPANS', 100_000), seed + 1);
    await stopService(receiver);
    const expected = expectedDocuments(ledger);
    const cpu0 = { translator: cpuSecondsOf(translator.child.pid), xray: cpuSecondsOf(xray.child.pid), broker: cpuSecondsOf(broker.pid) };
    const loadBefore = readLoad();
    const t0 = Date.now();
    translator.child.kill('SIGCONT');
    const landed = await waitLanded(xray, warmLanded.accepted + expected, 300_000);
    const seconds = (landed.landedAtMs - t0) / 1000;
    const cpu1 = { translator: cpuSecondsOf(translator.child.pid), xray: cpuSecondsOf(xray.child.pid), broker: cpuSecondsOf(broker.pid) };
    const accepted = landed.accepted - warmLanded.accepted;
    const calls = (await callsOf(translator, 'count')) - callsBefore;
    const perCall = ((await callsOf(translator, 'sum')) - docsBefore) / Math.max(1, calls);
    const spans = Math.max(1, ledger.length);
    log(`drained ${ledger.length} spans, ${accepted}/${expected} documents in ${seconds.toFixed(1)} s, ${calls} calls; load before ${loadBefore}, after ${readLoad()}`);
    const figures: BenchFigure[] = [
      { name: 'drain: spans preloaded', value: ledger.length, unit: 'spans' },
      { name: 'drain: lost documents', value: Math.max(0, expected - accepted), unit: 'documents', target: '0' },
      { name: 'drain: translator rate (sharing the cores)', value: round(ledger.length / seconds), unit: 'spans/s' },
      { name: 'drain: CPU translator (Redis epochs, real SDK)', value: round(((cpu1.translator - cpu0.translator) * 1e6) / spans, 1), unit: 'µs/span', target: '<= 40' },
      { name: 'drain: CPU xray-local per document stored', value: round(((cpu1.xray - cpu0.xray) * 1e6) / Math.max(1, accepted), 1), unit: 'µs/document', target: '<= 15' },
      { name: 'drain: documents per PutTraceSegments call under backlog', value: round(perCall, 1), unit: 'documents', target: '>= 45' },
    ];
    if (broker.pid !== undefined) figures.push({ name: 'drain: CPU kafka broker (fetches)', value: round(((cpu1.broker - cpu0.broker) * 1e6) / spans, 1), unit: 'µs/span' });
    figures.push({ name: 'drain: load average (1 min) after', value: Number(readLoad().split(' ')[0]), unit: 'runnable' });
    return figures;
  } finally {
    for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGCONT');
    await Promise.all(services.map(stopService));
    await broker?.stop();
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

const callsOf = (translator: Service, part: 'sum' | 'count'): Promise<number> =>
  metricOf(translator, `meshray_translator_documents_per_call_${part}`);
