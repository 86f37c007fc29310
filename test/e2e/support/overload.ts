/**
 * Offered load at 3× the receiver's capacity (issue 10 §3). Kafka is made the slower side with a producer
 * byte-rate quota on the receiver's client id (tools/kafka setClientQuota); the capacity is measured first
 * (closed loop), then 3× that is offered open loop. `BENCH=overload npm run bench` (60 s soak) and
 * test/e2e/backbone/overload.test.ts (25 s, asserts). The receiver's admission control (services/receiver/
 * publish/drain-admission.ts) accepts about what Kafka drains and refuses the rest at once.
 */
import { randomUUID } from 'node:crypto';
import { setClientQuota } from '../../../tools/kafka/kafka.mjs';
import { encodeSpansJsonV2 } from '../../../services/simulator/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { assertLedgerDelivered } from './delivered.ts';
import { rssMb } from './failover.ts';
import { scrapeMetric } from './metrics.ts';
import { createTopic, KAFKA_BROKERS, testKafka, uniqueNames } from './kafka.ts';
import { describeProcesses, killAll, type ServiceProcess } from './processes.ts';
import { startReceiver, startTranslator } from './stack.ts';
import { generateTrace, Ledger, widthOf } from './traffic.ts';
import { startXRayLocal } from '../../support/xray-local.ts';
import { sleep } from '../../support/wait.ts';


export interface OverloadFigures {
  readonly capacitySpansPerSecond: number;
  readonly offeredSpans: number;
  readonly overloadSeconds: number;
  /** Spans answered 202 during the overload (not the calibration). */
  readonly acceptedSpans: number;
  /** Requests of the overload answered 503. */
  readonly refusedRequests: number;
  readonly statuses: Record<string, number>;
  readonly withoutRetryAfter: number;
  readonly refusedSpans: number;
  readonly refusedCounted: Record<string, number>;
  readonly maxRssMb: number;
  readonly documents: number;
}

const BUFFER_MAX_SPANS = 4000;
/** The receiver's memory bound: baseline node + fastify + kafkajs (~110 MB) plus the buffer and bodies in flight. */
export const RECEIVER_RSS_BOUND_MB = 300;

/** Posts `spans` once; records the answer in the ledger; returns status and whether a 503 carried Retry-After. */
async function post(url: string, spans: Span[], ledger: Ledger): Promise<{ status: number; retryAfter: boolean }> {
  let status = 0;
  let retryAfter = false;
  try {
    const res = await fetch(`${url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeSpansJsonV2(spans), signal: AbortSignal.timeout(60_000) });
    status = res.status;
    retryAfter = res.headers.get('retry-after') !== null;
    await res.arrayBuffer();
  } catch { /* status 0: no answer */ }
  ledger.record(spans, status);
  return { status, retryAfter };
}

const refusedByReason = async (url: string): Promise<Record<string, number>> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^meshray_receiver_spans_refused_total\{reason="([^"]+)"\} (\d+)$/gm)) out[m[1] ?? ''] = Number(m[2]);
  return out;
};

/** Runs the overload scenario for `overloadSeconds`; throws when a span answered 202 is not delivered. */
export async function runOverload(overloadSeconds: number): Promise<OverloadFigures> {
  const names = uniqueNames('overload');
  const kafka = testKafka();
  await createTopic(kafka, names.spansTopic, 6);
  const clientId = `overload-${randomUUID().slice(0, 8)}`;
  await setClientQuota({ brokers: KAFKA_BROKERS, clientId, producerByteRate: 100_000 });
  const xray = await startXRayLocal();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  try {
    const [receiver, translator] = await Promise.all([
      startReceiver('receiver', { spansTopic: names.spansTopic, env: { KAFKA_CLIENT_ID: clientId, BUFFER_MAX_SPANS: String(BUFFER_MAX_SPANS), MAX_SPANS_PER_REQUEST: '1000', ACK_TIMEOUT: '2000' } }),
      startTranslator('translator', { ...names, xrayEndpoint: xray.endpoint }),
    ]);
    procs.push(receiver.proc, translator.proc);
    let maxRssMb = 0;
    const rssTimer = setInterval(() => { maxRssMb = Math.max(maxRssMb, rssMb(receiver.proc.pid)); }, 200);
    try {
      // Capacity: what Kafka takes (spans_published_total) over the last 5 s of 7 s of a closed loop of 32
      // senders. Not the spans answered 202 per second: a closed loop's goodput is bounded by its senders
      // over the ack latency (Little's law), which the quota's throttling makes long; refused requests
      // come back at once, so the senders keep the receiver's buffer from running dry.
      const calibrate = new Ledger();
      const published = () => scrapeMetric(`${receiver.url}/metrics`, 'meshray_receiver_spans_published_total');
      const loopStartMs = Date.now();
      let i = 0;
      const senders = Promise.all(Array.from({ length: 32 }, async () => {
        while (Date.now() < loopStartMs + 7000) await post(receiver.url, generateTrace(widthOf(i++)), calibrate);
      }));
      await sleep(2000); // the closed loop's warm-up before measuring
      const measureFrom = { atMs: Date.now(), spans: await published() };
      await sleep(Math.max(0, loopStartMs + 7000 - Date.now())); // the measured window
      const capacity = Math.max(1, ((await published()) - measureFrom.spans) / ((Date.now() - measureFrom.atMs) / 1000));
      await senders;
      ledger.accepted.push(...calibrate.accepted);
      ledger.unacknowledged.push(...calibrate.unacknowledged);
      const refusedBefore = await refusedByReason(receiver.url);

      // 3× capacity, open loop: every 100 ms, a tenth of a second's worth of traces, not waiting for answers
      const results: Promise<{ status: number; retryAfter: boolean }>[] = [];
      const overload = new Ledger();
      let offeredSpans = 0;
      const startMs = Date.now();
      for (let tick = 0; Date.now() - startMs < overloadSeconds * 1000; tick += 1) {
        let due = (3 * capacity) / 10;
        while (due > 0) {
          const trace = generateTrace(widthOf(tick));
          offeredSpans += trace.length;
          due -= trace.length;
          results.push(post(receiver.url, trace, overload));
        }
        await sleep(Math.max(0, startMs + (tick + 1) * 100 - Date.now())); // pacing of the offered load
      }
      const answers = await Promise.all(results);
      ledger.accepted.push(...overload.accepted);
      ledger.unacknowledged.push(...overload.unacknowledged);
      const refusedAfter = await refusedByReason(receiver.url);
      const refusedCounted = Object.fromEntries(Object.entries(refusedAfter).map(([k, v]) => [k, v - (refusedBefore[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
      const delivered = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 240_000 });
      return {
        capacitySpansPerSecond: Math.round(capacity), offeredSpans, overloadSeconds,
        acceptedSpans: overload.accepted.length, refusedRequests: answers.filter((a) => a.status === 503).length,
        statuses: Object.fromEntries(overload.statuses),
        withoutRetryAfter: answers.filter((a) => a.status === 503 && !a.retryAfter).length,
        refusedSpans: overload.unacknowledged.length, refusedCounted, maxRssMb, documents: delivered.documents,
      };
    } finally {
      clearInterval(rssTimer);
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
}

