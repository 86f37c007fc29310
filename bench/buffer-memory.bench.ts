/**
 * The receiver's memory with a full publish buffer (`BENCH=buffer-memory npm run -s bench`): what a receiver
 * pod needs under its memory limit (k8s/base/receiver.yaml: 512Mi) when Kafka stops acknowledging and the
 * receiver holds BUFFER_MAX_SPANS spans (default 50,000) for it.
 *
 * How, per variant of the receiver's env (BENCH_BUFFER_VARIANTS, `;`-separated, each `defaults` or `K=V,K=V`;
 * default `defaults;HEAP_GROWING_PERCENT=0`, so the receiver's old-generation growing factor against V8's own,
 * docs/sizing.md §12): a receiver (ACK_MODE=kafka, ACK_TIMEOUT=60s so that the buffer, not admission control,
 * is the bound: admission lets in what the measured drain rate takes within half of ACK_TIMEOUT, which at the
 * default 3 s and a saturated receiver's 30k spans/s is 45,000 spans, near the buffer anyway) takes a warm-up of 5-span Envoy bodies from 16 senders for BENCH_BUFFER_WARMUP_SECONDS (8);
 * then the broker is frozen (SIGSTOP: connections stay open, nothing is acknowledged) and 600 senders post
 * 100-span bodies until the buffer gauge (`meshray_receiver_buffer_spans`) has stayed at ≥ 98 % of
 * `meshray_receiver_buffer_capacity_spans` for BENCH_BUFFER_HOLD_SECONDS (10), at most 60 s. The receiver's
 * RSS is sampled every 100 ms; the broker is then resumed (SIGCONT) and the bench waits until the buffer is
 * empty (every buffered span acknowledged). It needs its own broker (not KAFKA_BROKERS): it freezes it.
 *
 * Figures per variant: RSS before the outage, peak RSS while full (VmHWM), spans buffered at the peak, the
 * bytes of RSS per buffered span, and the seconds the resumed broker took to take the buffer.
 */
import { readFileSync } from 'node:fs';
import type { BenchFigure } from './translate.bench.ts';
import { envoyBodies } from './compare/bodies.ts';
import { drainVariants } from './compare/translator.ts';
import { freePort, logger, metricsOf, num, readLoad, round, sleep, spawnService, startBenchBroker, stopService, waitReady } from './support/services.ts';
import { rssMibOf } from './support/processes.ts';

const log = logger('buffer-memory');
const POD_LIMIT_MIB = 512;

/** The first answer of each status other than 202 (what the receiver said). */
const firstAnswers = new Map<number, string>();

async function post(url: string, body: string): Promise<number> {
  try {
    const res = await fetch(`${url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(90_000) });
    const text = await res.text();
    if (res.status !== 202 && !firstAnswers.has(res.status)) firstAnswers.set(res.status, text.slice(0, 300));
    return res.status;
  } catch {
    return 0;
  }
}

/** Keeps `senders` posting bodies in rotation until `stop()` says so; counts answers by status. */
function sendLoop(url: string, bodies: readonly string[], senders: number, stop: () => boolean): { done: Promise<void>; statuses: Map<number, number> } {
  const statuses = new Map<number, number>();
  let next = 0;
  const done = Promise.all(Array.from({ length: senders }, async () => {
    while (!stop()) {
      const status = await post(url, bodies[next++ % bodies.length] as string);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  })).then(() => undefined);
  return { done, statuses };
}

function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export async function runBufferMemoryBench(): Promise<BenchFigure[]> {
  if (process.env['KAFKA_BROKERS']) throw new Error('BENCH=buffer-memory freezes its broker: run it without KAFKA_BROKERS');
  const variants = drainVariants(process.env['BENCH_BUFFER_VARIANTS'] ?? 'defaults;HEAP_GROWING_PERCENT=0');
  const rounds = num('BENCH_BUFFER_ROUNDS', 1);
  const broker = await startBenchBroker(log);
  const brokerPid = broker.pid;
  if (brokerPid === undefined) throw new Error('BENCH=buffer-memory: the broker pid is unknown');
  const figures: BenchFigure[] = [];
  const nowMs = Date.now();
  const warmBodies = envoyBodies(2000, nowMs, 5);
  const fullBodies = envoyBodies(2000, nowMs, 100, 11);
  try {
    for (let round_ = 1; round_ <= rounds; round_ += 1) {
      for (const variant of variants) {
        const at = `buffer-memory [${variant.name}]${rounds > 1 ? ` round ${round_}` : ''}`;
        const port = await freePort();
        const receiver = spawnService(`receiver-buffer`, 'receiver', port, {
          KAFKA_BROKERS: broker.brokers, SPANS_TOPIC: `meshray.buffer.${process.pid}.${Date.now()}`, RECEIVER_PORT: String(port),
          RECEIVER_HOST: '127.0.0.1', ACK_MODE: 'kafka', ACK_TIMEOUT: '60000', ...variant.env,
        });
        const pid = receiver.child.pid as number;
        try {
          await waitReady(receiver, 60_000);
          const warmupUntil = Date.now() + num('BENCH_BUFFER_WARMUP_SECONDS', 8) * 1000;
          const warm = sendLoop(receiver.url, warmBodies, 16, () => Date.now() >= warmupUntil);
          await warm.done;
          const rssBeforeMib = rssMibOf(pid);
          const load = readLoad();
          process.kill(brokerPid, 'SIGSTOP');
          let peakRssMib = rssBeforeMib;
          let peakSpans = 0;
          let fullSinceMs: number | undefined;
          let stopped = false;
          const fill = sendLoop(receiver.url, fullBodies, 600, () => stopped);
          const startMs = Date.now();
          const holdMs = num('BENCH_BUFFER_HOLD_SECONDS', 10) * 1000;
          try {
            while (Date.now() - startMs < 60_000) {
              await sleep(100); // the RSS sampling period
              peakRssMib = Math.max(peakRssMib, rssMibOf(pid));
              const [spans = 0, capacity = 1] = await metricsOf(receiver, ['meshray_receiver_buffer_spans', 'meshray_receiver_buffer_capacity_spans']);
              peakSpans = Math.max(peakSpans, spans);
              if (spans >= 0.98 * capacity) fullSinceMs ??= Date.now();
              else fullSinceMs = undefined;
              if (fullSinceMs !== undefined && Date.now() - fullSinceMs >= holdMs) break;
            }
          } finally {
            stopped = true;
            process.kill(brokerPid, 'SIGCONT');
          }
          const peakHwmMib = rssMibOf(pid, true);
          const fullForMs = fullSinceMs === undefined ? 0 : Date.now() - fullSinceMs;
          const resumedAtMs = Date.now();
          await fill.done;
          let left = Infinity;
          while (left > 0 && Date.now() - resumedAtMs < 120_000) {
            [left = 0] = await metricsOf(receiver, ['meshray_receiver_buffer_spans']);
            if (left > 0) await sleep(200); // polling the gauge until the resumed broker took the buffer
          }
          if (left > 0) throw new Error(`${at}: ${left} spans still buffered 120 s after the broker resumed`);
          const refused = fill.statuses.get(503) ?? 0;
          log(`${at}: answers while full ${JSON.stringify(Object.fromEntries(fill.statuses))}, full for ${fullForMs} ms; first answers ${JSON.stringify(Object.fromEntries(firstAnswers))}`);
          figures.push(
            { name: `${at}: receiver RSS before the outage (warm)`, value: round(rssBeforeMib), unit: 'MiB' },
            { name: `${at}: spans buffered at the peak`, value: peakSpans, unit: 'spans' },
            { name: `${at}: receiver peak RSS with the buffer full (VmHWM)`, value: round(Math.max(peakRssMib, peakHwmMib)), unit: 'MiB', target: `< ${POD_LIMIT_MIB} (k8s limit)` },
            { name: `${at}: RSS per buffered span`, value: round(((Math.max(peakRssMib, peakHwmMib) - rssBeforeMib) * 1024 * 1024) / Math.max(1, peakSpans)), unit: 'bytes' },
            { name: `${at}: requests refused (503) while full`, value: refused, unit: 'requests' },
            { name: `${at}: seconds until the resumed broker took the buffer`, value: round((Date.now() - resumedAtMs) / 1000, 1), unit: 's' },
            { name: `${at}: load average (1 min) before the outage`, value: Number(load.split(' ')[0]), unit: '' },
          );
        } finally {
          if (!isRunning(brokerPid)) process.kill(brokerPid, 'SIGCONT');
          await stopService(receiver);
        }
      }
    }
  } finally {
    await broker.stop();
  }
  return figures;
}
