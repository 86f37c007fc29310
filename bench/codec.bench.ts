/**
 * Avro codec and receiver micro-figures on one core, for the Istio 1.7.4 Bookinfo fixture (`BENCH=codec`):
 * - Avro encode (toSpanRecords, as the receiver writes), decode (decodeSpanRecord, as every reader reads, header included) and both;
 * - the receiver's request path through fastify `app.inject` with Envoy-sized bodies (5 spans of v2 JSON,
 *   `application/json`): once with a publisher that drops the spans, once with one that also makes the
 *   span-topic records (Avro + key), as the Kafka publisher does before queueing them.
 * Each figure is the median of BENCH_CODEC_RUNS (3) runs of BENCH_CODEC_MS (1500) ms each, counted per second of
 * this process's CPU time (process.cpuUsage, all threads) rather than wall time, so that other load on the
 * machine moves the figures less.
 */
import { readFileSync } from 'node:fs';
import { decodeSpan, encodeSpan, SPAN_SCHEMA_FINGERPRINT } from '../shared/core/avro/index.ts';
import { silentLogger } from '../shared/edge/log/index.ts';
import { createRegistry } from '../shared/edge/metrics/registry.ts';
import type { DeliveredRecord } from '../shared/edge/transport/index.ts';
import { decodeSpans } from '../shared/core/zipkin/index.ts';
import type { Span } from '../shared/core/zipkin/span.ts';
import { buildApp } from '../services/receiver/app.ts';
import { NONE_REFUSED, type SpanPublisher } from '../services/receiver/publish/span-publisher.ts';
import { decodeSpanRecord, toSpanRecords } from '../shared/core/span-record/record.ts';
import type { BenchFigure } from './translate.bench.ts';

const RUN_MS = Number(process.env['BENCH_CODEC_MS'] ?? 1500);
const RUNS = Number(process.env['BENCH_CODEC_RUNS'] ?? 3);

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/** Calls `once` (returns the items it handled) for RUN_MS, RUNS times; the median items per CPU second. */
export function rate(once: () => number): number {
  const end = Date.now() + 300;
  while (Date.now() < end) once(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let items = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(RUN_MS) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 20; i++) items += once();
      now = process.hrtime.bigint();
    }
    rates.push(items / cpuSeconds(cpu));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(rates.length / 2)] ?? 0);
}

async function rateAsync(once: () => Promise<number>): Promise<number> {
  const end = Date.now() + 500;
  while (Date.now() < end) await once();
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let items = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(RUN_MS) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 20; i++) items += await once();
      now = process.hrtime.bigint();
    }
    rates.push(items / cpuSeconds(cpu));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(rates.length / 2)] ?? 0);
}

export function bookinfoSpans(): Span[] {
  const body = readFileSync(new URL('../test/fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));
  const decoded = decodeSpans(body, 'json-v2');
  if (!decoded.ok) throw new Error('fixture does not decode');
  return decoded.value;
}

function codecFigures(spans: readonly Span[]): BenchFigure[] {
  const timestampMs = Date.parse('2019-06-21T18:30:00Z');
  const records: DeliveredRecord[] = toSpanRecords(spans, timestampMs)
    .map((r, offset) => ({ ...r, headers: { ...r.headers }, partition: 0, offset: String(offset) }));
  for (const r of records) {
    const d = decodeSpanRecord(r);
    if (!d.ok) throw new Error(`fixture span does not round-trip: ${JSON.stringify(d.issues)}`);
  }
  const encode = (): number => {
    let bytes = 0;
    for (const r of toSpanRecords(spans, timestampMs)) bytes += r.value.length;
    if (bytes === 0) throw new Error('nothing encoded');
    return spans.length;
  };
  const decode = (): number => {
    for (const r of records) if (!decodeSpanRecord(r).ok) throw new Error('decode failed');
    return records.length;
  };
  const both = (): number => {
    for (const span of spans) if (!decodeSpan(encodeSpan(span), SPAN_SCHEMA_FINGERPRINT).ok) throw new Error('round trip failed');
    return spans.length;
  };
  return [
    { name: 'avro encode: toRecords (Bookinfo, one core)', value: rate(encode), unit: 'spans/s' },
    { name: 'avro decode: decodeRecord (Bookinfo, one core)', value: rate(decode), unit: 'spans/s' },
    { name: 'avro encode+decode (Bookinfo, one core)', value: rate(both), unit: 'spans/s' },
  ];
}

async function receiverFigures(spans: readonly Span[]): Promise<BenchFigure[]> {
  const { encodeSpansJsonV2 } = await import('../services/simulator/index.ts');
  const bodies: string[] = [];
  for (let i = 0; i + 5 <= spans.length; i += 5) bodies.push(encodeSpansJsonV2(spans.slice(i, i + 5)));
  const figures: BenchFigure[] = [];
  for (const [label, publisher] of [
    ['no-op publisher', { publish: () => Promise.resolve(NONE_REFUSED) }],
    ['records publisher', { publish: (s: readonly Span[]) => { toSpanRecords(s, 0); return Promise.resolve(NONE_REFUSED); } }],
  ] as const satisfies readonly (readonly [string, SpanPublisher])[]) {
    const app = buildApp({
      config: { MAX_BODY_BYTES: 5 * 1024 * 1024, MAX_SPANS_PER_REQUEST: 10_000 },
      publisher,
      logger: silentLogger(),
      registry: createRegistry(),
      isReady: () => true,
    });
    await app.ready();
    let next = 0;
    const once = async (): Promise<number> => {
      const payload = bodies[next++ % bodies.length] ?? '';
      const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json' }, payload });
      if (res.statusCode !== 202) throw new Error(`receiver answered ${res.statusCode}: ${res.body}`);
      return 1;
    };
    const requests = await rateAsync(once);
    await app.close();
    figures.push(
      { name: `receiver inject, 5-span v2 JSON, ${label} (one core)`, value: requests, unit: 'requests/s' },
      { name: `receiver inject, 5-span v2 JSON, ${label} (one core)`, value: requests * 5, unit: 'spans/s' },
    );
  }
  return figures;
}

export async function runCodecBench(): Promise<BenchFigure[]> {
  const spans = bookinfoSpans();
  return [...codecFigures(spans), ...(await receiverFigures(spans))];
}
