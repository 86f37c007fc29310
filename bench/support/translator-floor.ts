/**
 * The translator's floor (BENCH=drain, docs/sizing.md §29): what draining a span topic into X-Ray costs with the
 * same packages and nothing of meshray's translation. A kafkajs consumer group reads the topic from its start,
 * each record's spans are decoded with meshray's record codec (the Avro reader the translator uses), each span
 * becomes the smallest document X-Ray takes (name, id, trace_id, parent_id, start_time, end_time: one
 * `JSON.stringify`), and the documents go out through @aws-sdk/client-xray's PutTraceSegments, 50 per call, up
 * to 4 calls in flight; a batch's offsets are committed once its calls were answered. No Redis, no span-kind or
 * Istio repair, no assembly window, no packing, no metrics, no dead letters.
 *
 *   node --import tsx bench/support/translator-floor.ts <brokers> <topic> <xray endpoint> <spans to skip> [minimal|translated]
 *
 * `translated` (docs/sizing.md §36) makes the translator's own documents instead of minimal ones: each batch's spans
 * go through meshray's pure core as `meshray translate` runs it (`translateSpans` with the default config and an
 * in-memory epoch store, then `packDocuments`), still with no Redis, assembly window, metrics, dead letters or
 * export stages. Its excess over `minimal` is what the translation and the real documents cost end to end (the
 * core, the larger bodies through the SDK, the collector); the translator's excess over it is its orchestration.
 *
 * It reads until it has seen every record below the topic's end offsets (read when it starts), then prints one
 * JSON line on stdout: {"spans","documents","calls","cpuUs","mainThreadUs"} over the spans after the first
 * `<spans to skip>` (the warm-up: V8 makes the hot functions fast meanwhile), and exits.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { decodeRecordSpans, deliveredRecordOf } from '../../shared/core/span-record/record.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, packDocuments, translateSpans } from '../../shared/core/xray/index.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';

const [brokers = '', topic = '', endpoint = '', skipText = '0', mode = 'minimal'] = process.argv.slice(2);
const skip = Number(skipText);
if (!Number.isFinite(skip) || skip < 0 || brokers === '' || topic === '' || endpoint === '' || (mode !== 'minimal' && mode !== 'translated')) {
  process.stderr.write('usage: translator-floor.ts <brokers> <topic> <xray endpoint> <spans to skip (a number ≥ 0)> [minimal|translated]\n');
  process.exit(2);
}
const epochs = new MemoryEpochStore({ ttlMs: DEFAULT_TRANSLATOR_CONFIG.epochTtlMs, maxEntries: DEFAULT_TRANSLATOR_CONFIG.epochCacheMaxEntries });
const DOCUMENTS_PER_CALL = 50;
const CALLS_IN_FLIGHT = 4;

/** The main thread's CPU (user + system, µs) from /proc/self/task/<pid>/stat, fields 14 and 15 (clock ticks). */
function mainThreadUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const hex8 = (n: number): string => Math.floor(n).toString(16).padStart(8, '0');

const kafka = new Kafka({ clientId: 'meshray-translator-floor', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
await admin.disconnect();
const xray = new XRayClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'floor', secretAccessKey: 'floor' }, maxAttempts: 1, cacheMiddleware: true });
const consumer = kafka.consumer({ groupId: `meshray-translator-floor-${process.pid}-${Date.now()}`, maxBytes: 10 * 2 ** 20 });

let warmed = 0;
let spans = 0;
let documents = 0;
let calls = 0;
let cpu0: NodeJS.CpuUsage | undefined;
let main0 = 0;
/** The measured part starts here: after the warm-up's spans were sent and answered. */
const start = (): void => {
  cpu0 = process.cpuUsage();
  main0 = mainThreadUs();
  calls = 0;
};
const reached = new Map<number, bigint>();
let finish!: () => void;
const finished = new Promise<void>((resolve) => { finish = resolve; });

async function send(all: string[]): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let at = 0; at < all.length; at += DOCUMENTS_PER_CALL) {
    pending.push(xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: all.slice(at, at + DOCUMENTS_PER_CALL) })));
    calls += 1;
    if (pending.length >= CALLS_IN_FLIGHT) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

if (skip <= 0) start();
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachBatchAutoResolve: true,
  eachBatch: async ({ batch }) => {
    const out: string[] = [];
    const read: Span[] = [];
    for (const message of batch.messages) {
      const decoded = decodeRecordSpans(deliveredRecordOf(message, batch.partition));
      if (!decoded.ok) continue;
      if (mode === 'translated') {
        read.push(...decoded.value);
        continue;
      }
      for (const span of decoded.value) {
        const start = (span.timestampMicros ?? 0) / 1e6;
        out.push(JSON.stringify({
          name: span.localEndpoint?.serviceName ?? 'unknown',
          id: span.id,
          trace_id: `1-${hex8(start)}-${span.traceId.padStart(32, '0').slice(8)}`,
          ...(span.parentId === undefined ? {} : { parent_id: span.parentId }),
          start_time: start,
          end_time: start + (span.durationMicros ?? 0) / 1e6,
        }));
      }
    }
    if (mode === 'translated') {
      const translated = translateSpans(read, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs });
      for (const d of packDocuments(translated.documents, DEFAULT_TRANSLATOR_CONFIG.maxDocumentBytes).documents) out.push(d.json);
    }
    const spansRead = mode === 'translated' ? read.length : out.length;
    await send(out);
    documents += cpu0 === undefined ? 0 : out.length;
    if (cpu0 !== undefined) spans += spansRead;
    else if ((warmed += spansRead) >= skip) start();
    const last = batch.messages.at(-1);
    if (last !== undefined) reached.set(batch.partition, BigInt(last.offset) + 1n);
    if ([...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end)) finish();
  },
});
await finished;
if (cpu0 === undefined || spans === 0) {
  // nothing after the warm-up: a figure here would be the whole process' CPU, or nothing, per span
  process.stderr.write(`translator floor: no span after the first ${skip} (${warmed} read in all): nothing measured\n`);
  process.exit(1);
}
const cpu = process.cpuUsage(cpu0);
const main = mainThreadUs() - main0;
await consumer.disconnect();
process.stdout.write(`${JSON.stringify({ spans, documents, calls, cpuUs: cpu.user + cpu.system, mainThreadUs: main })}\n`);
process.exit(0);
