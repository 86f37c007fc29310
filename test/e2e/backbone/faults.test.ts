/**
 * Acceptance: no span answered 202 is lost under faults. Receiver and translators are OS processes (the
 * CLI), Kafka is the real broker, Redis a real redis-server, X-Ray is xray-local behind the real SDK.
 * Each test keeps a LEDGER of the spans the receiver acknowledged and checks, through GetTraceSummaries +
 * BatchGetTraces, that each became its documents exactly once, one X-Ray trace id per trace.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSpans, SPAN_SCHEMA_FINGERPRINT } from '../../../shared/core/avro/index.ts';
import { DEAD_LETTER_HEADERS, SPAN_SCHEMA_HEADER } from '../../../shared/core/span-record/headers.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { SegmentStore } from '../../../services/xray-local/index.ts';
import { rssMb } from '../support/failover.ts';
import { groupProgress, lagOf, testTopic, waitCaughtUp, type PartitionProgress } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { freePort } from '../support/ports.ts';
import { describeProcesses, killAll, type ServiceProcess } from '../support/processes.ts';
import { PrivateRedis } from '../support/redis-server.ts';
import { startPipeline, type RunningService } from '../support/stack.ts';
import { expectedDocuments, generateTrace, Ledger, postAll, toBodies, TrafficPump, widthOf } from '../support/traffic.ts';
import { assertLedgerDelivered } from '../support/delivered.ts';
import { startXRayLocal, storedIds, storedEntityCount } from '../../support/xray-local.ts';
import { callRate, startThrottledXRayLocal } from '../../support/xray-throttle.ts';
import { readTopicToEnd } from '../../support/read-topic.ts';
import { sleep, waitFor } from '../../support/wait.ts';
import { IDEMPOTENT } from '../../support/idempotent-producer.ts';

after(killAll);

const sumOver = async (services: readonly RunningService[], metric: string): Promise<number> => {
  let sum = 0;
  for (const s of services) if (!s.proc.exited) sum += await scrapeMetric(`${s.url}/metrics`, metric);
  return sum;
};

test('kill -9 of a translator while its exports are in flight: survivors get its partitions, every span arrives once', { timeout: 200_000 }, async () => {
  const { kafka, names } = await testTopic('kill9');
  // Two listeners over ONE store, one per translator, so the test knows whose exports are in flight. Each
  // answer is delayed 800 ms AFTER the documents were stored: a translator killed in that window has
  // exported documents whose records it never committed, which Kafka must redeliver to a survivor, whose
  // PutTraceSegments then overwrites them (same trace id + segment id).
  const store = new SegmentStore({ maxSegments: 200_000 });
  const xrayA = await startXRayLocal({ store, putResponseDelayMs: () => 800 });
  const xrayB = await startXRayLocal({ store, putResponseDelayMs: () => 800 });
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  try {
    const { receiver, translators: [victim] } = await startPipeline(names, ['translator-victim', 'translator-survivor'], { xrayEndpoint: [xrayA.endpoint, xrayB.endpoint] }, procs);
    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: 200 });
    await waitFor('both translators exporting', 30_000, () => xrayA.received.size > 100 && xrayB.received.size > 100);
    await waitFor('an export of the victim in flight', 10_000, () => xrayA.inFlightPuts() > 0, { intervalMs: 5 });
    await victim.proc.kill9();
    // traffic goes on while the victim's partitions have no owner (until its session times out)
    const atKill = ledger.accepted.length;
    await waitFor('500 more spans accepted after the kill', 30_000, () => ledger.accepted.length >= atKill + 500);
    await pump.stop();

    // its partitions move to the survivor once the group coordinator's session timeout expires
    const result = await assertLedgerDelivered({ kafka, names, xray: xrayA, ledger, catchUpMs: 90_000 });
    const receivedTwice = [...xrayB.received.keys()].filter((id) => xrayA.received.has(id)).length;
    assert.ok(receivedTwice > 0, 'no document was redelivered: the kill did not hit an export in flight');
    console.log(`# kill -9: ${ledger.summary()}; ${result.documents} documents in ${result.traces} traces; ${receivedTwice} documents exported by the victim were exported again by the survivor and overwritten`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await pump?.stop();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xrayA.close();
    await xrayB.close();
  }
});

test('a span delivered twice, the second time after its trace was exported (a receiver resends a batch Kafka partly wrote), loses none of its neighbours', { timeout: 150_000 }, async () => {
  // Found by the SIGSTOP failover test: with PACKING=on the SERVER span's document nests its service's CLIENT
  // spans; its duplicate, exported alone, replaced that document in X-Ray and the CLIENT spans were gone.
  const { kafka, names } = await testTopic('duplicate');
  const xray = await startXRayLocal();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  try {
    const { receiver, translators } = await startPipeline(names, ['translator'], { xrayEndpoint: xray.endpoint }, procs);
    const traces = Array.from({ length: 12 }, (_, i) => generateTrace(widthOf(i)));
    await postAll(receiver.url, toBodies(traces), ledger, 3);
    const first = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 60_000 });

    // each trace's productpage SERVER span once more, in bodies of their own
    const servers = traces.flatMap((t) => t.filter((s) => s.kind === 'SERVER' && (s.localEndpoint?.serviceName ?? '').startsWith('productpage')));
    assert.ok(servers.length >= 10, `${servers.length} productpage SERVER spans`);
    const again = new Ledger();
    await postAll(receiver.url, servers.map((s) => [s]), again, 3);
    assert.equal(again.accepted.length, servers.length, 'every duplicate answered 202');
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 60_000);

    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 60_000 });
    assert.equal(result.documents, first.documents);
    assert.equal(await sumOver(translators, 'meshray_translator_documents_not_resent_total'), servers.length, 'each duplicate was recognised, not sent again');
    console.log(`# duplicates: ${ledger.summary()}; ${result.documents} documents; ${servers.length} SERVER spans posted again`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
});

/** The translators' X-Ray settings in the e2e stack (shared/edge/config: XRAY_MAX_CONCURRENCY, XRAY_RETRY_BASE defaults). */
const XRAY_MAX_CONCURRENCY = 4;
const XRAY_RETRY_BASE_MS = 100;

test('X-Ray throttled to 100 segments/s for 30 s while ~200 segments/s are offered: lag builds, backoff keeps calls/s low, nothing dropped or dead-lettered, then recovers to 0', { timeout: 200_000 }, async () => {
  const { kafka, names } = await testTopic('throttle');
  const port = await freePort();
  const store = new SegmentStore({ maxSegments: 200_000 });
  // throttled for 30 s, then lifted (test/support/xray-throttle.ts: the same mechanism as the throttle soak)
  const throttled = await startThrottledXRayLocal({ port, store, segmentsPerSecond: 100 });
  let xray = throttled.xray;
  const throttleOnAt = throttled.sinceMs; // bounds what could pass: ≤ 100/s since here, plus a 1 s burst
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  try {
    const { receiver, translators } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint }, procs);

    // the 30 s of throttling start with the traffic: Bookinfo-shaped traces (8 spans → 9 documents) at
    // 180 spans/s, ~200 documents/s, twice what the throttle lets through
    const trafficAt = Date.now();
    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: 180 });
    await sleep(Math.max(0, 28_000 - (Date.now() - trafficAt))); // the throttled stretch under test
    const lagWhileThrottled = lagOf(await groupProgress(kafka, names.groupId, names.spansTopic));
    // documents (what the throttle counts: a packed one carries several spans) and spans delivered
    const documentsWhileThrottled = xray.store.segmentCount;
    const storedWhileThrottled = storedEntityCount(xray.store);
    const throttleSeconds = (Date.now() - throttleOnAt) / 1000;
    const throttles = await sumOver(translators, 'meshray_translator_throttles_total');
    // calls per second from the first throttled second on (the first second passes a full bucket)
    const callsPerSecond = callRate(throttled.calls, trafficAt + 1000, Date.now()).mean;
    const expectedDocs = expectedDocuments(ledger.accepted).documents;
    assert.ok(expectedDocs >= 4000, ledger.summary());
    assert.ok(lagWhileThrottled > 0, 'the throttle did not hold the group back');
    assert.ok(throttles > 0, 'the translators saw no throttling');
    assert.ok(documentsWhileThrottled <= 100 * (throttleSeconds + 1), `${documentsWhileThrottled} documents passed a 100/s throttle in ${throttleSeconds} s`);
    assert.ok(storedWhileThrottled < expectedDocs, `all ${expectedDocs} documents got through the throttle`);
    // Without backoff every call slot would call again as soon as it is answered (hundreds per second on
    // loopback); with full-jitter backoff a throttled call waits on average at least XRAY_RETRY_BASE / 2,
    // and doubling from there: each slot calls less than once per XRAY_RETRY_BASE over a sustained throttle.
    const callsBound = translators.length * XRAY_MAX_CONCURRENCY * (1000 / XRAY_RETRY_BASE_MS);
    assert.ok(callsPerSecond < callsBound, `${callsPerSecond.toFixed(1)} PutTraceSegments calls/s during the throttle (bound ${callsBound})`);
    await sleep(Math.max(0, 30_000 - (Date.now() - trafficAt))); // the rest of the throttled 30 s
    await pump.stop();
    const postedInMs = Date.now() - trafficAt;

    xray = await throttled.lift();
    const releasedAt = Date.now();

    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 90_000 });
    const recoveredInMs = Date.now() - releasedAt;
    await waitFor('meshray_translator_partition_lag back to 0', 30_000, async () => (await sumOver(translators, 'meshray_translator_partition_lag')) === 0);
    assert.equal(await sumOver(translators, 'meshray_translator_dead_letters_total'), 0, 'documents dead-lettered during the throttle');
    assert.equal(await sumOver(translators, 'meshray_translator_spans_rejected_total'), 0, 'spans rejected during the throttle');
    console.log(`# throttle: ${ledger.summary()}; ${result.documents} documents; posted over ${postedInMs} ms; after 28 s at 100/s: lag ${lagWhileThrottled} records, ${storedWhileThrottled} documents stored; ${throttles} throttles; ${callsPerSecond.toFixed(1)} PutTraceSegments calls/s while throttled (bound ${translators.length} × ${XRAY_MAX_CONCURRENCY} × 1000/${XRAY_RETRY_BASE_MS} ms); caught up ${recoveredInMs} ms after the throttle was lifted`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await pump?.stop();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
});

/**
 * The translator's memory bound: baseline node + kafkajs + the AWS SDK (~150 MB) plus what one fetch holds
 * (128 KB per partition) and its documents. It does not grow with the lag: the backlog stays in Kafka.
 */
const TRANSLATOR_RSS_BOUND_MB = 300;

/** Which committed offsets cover a document that `stored` lacks: "partition 3 offset 41 (segment …)" each. */
async function committedButUnexported(kafka: Parameters<typeof groupProgress>[0], topic: string, committed: readonly PartitionProgress[], stored: ReadonlySet<string>): Promise<string[]> {
  const records = await readTopicToEnd(kafka, topic, { timeoutMs: 30_000 });
  const out: string[] = [];
  for (const r of records) {
    const below = committed.find((p) => p.partition === r.partition)?.committed ?? 0;
    if (Number(r.offset) >= below) continue;
    const spans = decodeSpans(r.value, r.headers[SPAN_SCHEMA_HEADER]);
    if (!spans.ok) throw new Error(`record ${r.partition}/${r.offset} does not decode`);
    for (const id of expectedDocuments(spans.value).traceKeyOf.keys()) {
      if (!stored.has(id)) out.push(`partition ${r.partition} offset ${r.offset} (segment ${id})`);
    }
  }
  return out;
}

test('xray-local stopped for 45 s while traffic continues: lag grows, translator RSS bounded, no offset committed past an unexported document, then every document lands once', { timeout: 300_000 }, async () => {
  const { kafka, names } = await testTopic('xray-outage');
  const port = await freePort();
  const store = new SegmentStore({ maxSegments: 200_000 });
  let xray = await startXRayLocal({ port, store });
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  let rssTimer: NodeJS.Timeout | undefined;
  try {
    const { receiver, translators } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint }, procs);
    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: 200 });
    await waitFor('documents flowing', 30_000, () => xray.store.segmentCount > 300);

    await xray.close();
    const outageStart = Date.now();
    let maxRss = 0;
    rssTimer = setInterval(() => { for (const t of translators) maxRss = Math.max(maxRss, rssMb(t.proc.pid)); }, 250);
    // Two looks during the outage: offsets the group committed, and what X-Ray holds (nothing can change it now).
    const look = async () => ({ progress: await groupProgress(kafka, names.groupId, names.spansTopic), stored: storedIds(store), atMs: Date.now() - outageStart });
    await sleep(5_000); // into the outage
    const early = await look();
    await sleep(Math.max(0, 45_000 - (Date.now() - outageStart))); // the rest of the outage
    const late = await look();
    clearInterval(rssTimer);
    xray = await startXRayLocal({ port, store });
    const outageMs = Date.now() - outageStart;
    await sleep(5_000); // traffic goes on after X-Ray returns
    await pump.stop();

    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 120_000 });
    const lagEarly = lagOf(early.progress);
    const lagLate = lagOf(late.progress);
    assert.equal(late.stored.size, early.stored.size, 'documents reached X-Ray while it was stopped');
    assert.ok(lagLate > lagEarly && lagEarly >= 0, `lag did not grow during the outage: ${lagEarly} records at +${early.atMs} ms, ${lagLate} at +${late.atMs} ms`);
    assert.ok(maxRss > 0 && maxRss < TRANSLATOR_RSS_BOUND_MB, `translator RSS ${maxRss} MB (bound ${TRANSLATOR_RSS_BOUND_MB} MB)`);
    for (const l of [early, late]) {
      const uncovered = await committedButUnexported(kafka, names.spansTopic, l.progress, l.stored);
      assert.deepEqual(uncovered.slice(0, 5), [], `at +${l.atMs} ms the group had committed ${uncovered.length} documents X-Ray did not have`);
    }
    const dupes = [...xray.received.values()].filter((n) => n > 1).length;
    console.log(`# xray outage: ${ledger.summary()}; ${result.documents} documents, each once; X-Ray down ${outageMs} ms; lag ${lagEarly} → ${lagLate} records (+${early.atMs} → +${late.atMs} ms); committed offsets unchanged: ${JSON.stringify(early.progress.map((p) => p.committed)) === JSON.stringify(late.progress.map((p) => p.committed))}; translator max RSS ${maxRss} MB; ${dupes} documents received more than once by the restarted listener`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    clearInterval(rssTimer);
    await pump?.stop();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
});

test('a poison record goes to the DLQ (original bytes, headers) and later records on its partition still reach X-Ray', { timeout: 150_000 }, async () => {
  const { kafka, names } = await testTopic('poison');
  const xray = await startXRayLocal();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  const producer = kafka.producer(IDEMPOTENT);
  try {
    const { receiver, translators } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint }, procs);

    // garbage under the span schema's header, straight onto partition 2 of the span topic
    const garbage = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from('this is not an Avro span')]);
    await producer.connect();
    const [sent] = await producer.send({
      topic: names.spansTopic, acks: -1,
      messages: [{ partition: 2, key: 'garbage', value: garbage, headers: { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT, 'x-test': 'poison' } }],
    });
    const poisonOffset = Number(sent?.baseOffset);
    assert.ok(Number.isInteger(poisonOffset), 'the poison record was written');

    // then ordinary traffic until partition 2 holds records after the poison one
    await waitFor('records after the poison one on its partition', 60_000, async () => {
      const traces = Array.from({ length: 12 }, (_, i) => generateTrace(widthOf(i)));
      await postAll(receiver.url, toBodies(traces), ledger, 3);
      const p2 = (await groupProgress(kafka, names.groupId, names.spansTopic)).find((p) => p.partition === 2);
      return p2 !== undefined && p2.end > poisonOffset + 5;
    });

    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 60_000 });
    const p2 = (await groupProgress(kafka, names.groupId, names.spansTopic)).find((p) => p.partition === 2);
    assert.ok(p2 !== undefined && p2.committed === p2.end && p2.end > poisonOffset + 1, `partition 2 moved past the poison record: ${JSON.stringify(p2)}`);

    // everything is committed (above), so the DLQ is complete: read it to its end offset, every record on it
    const letters = await readTopicToEnd(kafka, names.dlqTopic, { minRecords: 1, timeoutMs: 30_000 });
    assert.equal(letters.length, 1, 'exactly one dead letter');
    const letter = letters[0];
    assert.ok(letter !== undefined);
    assert.deepEqual(letter.value, garbage, 'the dead letter carries the original bytes');
    assert.equal(letter.key, 'garbage');
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.code], 'RECORD_UNDECODABLE');
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.topic], names.spansTopic);
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.partition], '2');
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.offset], String(poisonOffset));
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.attempts], '3', 'POISON_MAX_ATTEMPTS deliveries before dead-lettering');
    assert.ok((letter.headers[DEAD_LETTER_HEADERS.message] ?? '').length > 0, 'the dead letter says why');
    assert.equal(letter.headers['x-test'], 'poison', 'the original headers are kept');
    assert.equal(letter.headers[SPAN_SCHEMA_HEADER], SPAN_SCHEMA_FINGERPRINT);
    assert.equal(await sumOver(translators, 'meshray_translator_dead_letters_total'), 1);
    console.log(`# poison: ${ledger.summary()}; ${result.documents} documents; partition 2 ${JSON.stringify(p2)}, poison at ${poisonOffset}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await producer.disconnect();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
});

test('Redis stopped for 10 s: documents keep landing on local caches, traces straddling the outage keep their X-Ray id, the fallback counter rises, nothing lost', { timeout: 200_000 }, async () => {
  const { kafka, names } = await testTopic('redis');
  const redis = await PrivateRedis.start();
  const xray = await startXRayLocal();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  try {
    const { receiver, translators } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint, redisUrl: redis.url }, procs);
    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: 200 });
    await waitFor('documents flowing', 30_000, () => storedEntityCount(xray.store) > 300);

    // Traces that straddle the outage on purpose: their late-starting spans (≥ 1 s after the gateway's)
    // are translated while Redis is up, which fixes the trace's X-Ray id from a late start second; the
    // gateway and the other early spans follow during the outage, when only the local cache can keep
    // the trace on that id (alone they would mint it from the gateway's earlier second).
    const straddling = Array.from({ length: 24 }, (_, i) => generateTrace(widthOf(i)));
    const startOf = (s: Span): number => s.timestampMicros ?? 0;
    const lateStart = (t: readonly Span[]): number => Math.min(...t.map(startOf)) + 1_000_000;
    const lateParts = straddling.map((t) => t.filter((s) => startOf(s) >= lateStart(t)));
    const earlyParts = straddling.map((t) => t.filter((s) => startOf(s) < lateStart(t)).sort((a, b) => startOf(a) - startOf(b)));
    await postAll(receiver.url, toBodies(lateParts), ledger, 3);
    const lateIds = [...expectedDocuments(lateParts.flat()).traceKeyOf.keys()];
    await waitFor('the straddling traces\' late spans in xray-local', 20_000, () => {
      const ids = storedIds(xray.store);
      return lateIds.every((id) => ids.has(id));
    });
    assert.equal(await sumOver(translators, 'meshray_translator_redis_fallbacks_total'), 0, 'fallbacks while Redis was up');

    await redis.stop();
    const outageStart = Date.now();
    await postAll(receiver.url, toBodies(earlyParts), ledger, 3);
    // The translators notice (their epoch agreement falls back to the local caches), then documents go on landing.
    await waitFor('the translators to fall back to their local epoch caches', 20_000, async () => (await sumOver(translators, 'meshray_translator_redis_fallbacks_total')) > 0);
    const storedEarlyInOutage = storedEntityCount(xray.store);
    await waitFor('500 documents stored while Redis is down', 30_000, () => storedEntityCount(xray.store) > storedEarlyInOutage + 500, {
      describe: () => `${storedEntityCount(xray.store) - storedEarlyInOutage} since the fallback`,
    });
    await sleep(Math.max(0, 10_000 - (Date.now() - outageStart))); // the rest of the 10 s outage under test
    const storedLateInOutage = storedEntityCount(xray.store);
    const fallbacks = await sumOver(translators, 'meshray_translator_redis_fallbacks_total');
    await redis.restart();
    const outageMs = Date.now() - outageStart;
    const afterRestart = storedEntityCount(xray.store);
    await waitFor('500 more documents with Redis back', 30_000, () => storedEntityCount(xray.store) > afterRestart + 500);
    await pump.stop();

    const result = await assertLedgerDelivered({ kafka, names, xray, ledger, catchUpMs: 60_000 });
    console.log(`# redis: ${ledger.summary()}; ${result.documents} documents; Redis down ${outageMs} ms, ${storedLateInOutage - storedEarlyInOutage} documents landed after the first fallback, ${fallbacks} fallback batches`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}\n--- redis ---\n${redis.output()}`, { cause: error });
  } finally {
    await pump?.stop();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await xray.close();
  }
});
