/**
 * Acceptance (issue 12, 3): the OTLP path under faults, as backbone/faults.test.ts checks the segments path.
 * Receiver and translator (EXPORT_PROTOCOL=otlp) are OS processes, Kafka the real broker, X-Ray xray-local's
 * `/v1/traces` read back through the real SDK (StartTraceRetrieval + ListRetrievedTraces). Each test keeps a
 * LEDGER of the spans the receiver answered 202 and checks that each is retrievable exactly once (or, when
 * the endpoint refused it, is on the dead-letter topic with the endpoint's reason), and that offsets are
 * committed only after the endpoint accepted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateTraceSegmentDestinationCommand } from '@aws-sdk/client-xray';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { DEAD_LETTER_HEADERS } from '../../../shared/core/span-record/headers.ts';
import { decodeSpanRecord } from '../../../shared/core/span-record/record.ts';
import { createTopic, groupProgress, lagOf, testKafka, uniqueNames, waitCaughtUp } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { freePort } from '../support/ports.ts';
import { describeProcesses, killAll, type ServiceProcess } from '../support/processes.ts';
import { startReceiver, startTranslator, type RunningService } from '../support/stack.ts';
import { generateTrace, Ledger, postAll, toBodies } from '../support/traffic.ts';
import { startXRayLocal, xrayClient, type XRayLocal } from '../../support/xray-local.ts';
import { readTopicToEnd } from '../../support/read-topic.ts';
import { retrievedZipkinKeys, retrieveSpans, w3cTraceIdOf, zipkinKeysOf } from '../../support/transaction-search.ts';
import { waitFor } from '../../support/wait.ts';

after(killAll);

const OTLP_ENV = { EXPORT_PROTOCOL: 'otlp', EXPORT_FAILURE_TIMEOUT: '2s', XRAY_RETRY_BASE: '100ms', XRAY_RETRY_MAX: '1s' };

async function otlpLocal(options: Parameters<typeof startXRayLocal>[0] = {}): Promise<XRayLocal> {
  const xray = await startXRayLocal(options);
  const client = xrayClient(xray.endpoint);
  await client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
  client.destroy();
  return xray;
}

/** Every ledgered span retrievable exactly once (and nothing else in those traces), but `except`. */
async function assertDelivered(xray: XRayLocal, spans: readonly Span[], except: readonly Span[] = []): Promise<number> {
  const client = xrayClient(xray.endpoint);
  try {
    const traceIds = [...new Set(spans.map((s) => w3cTraceIdOf(s.traceId)))];
    const got = await retrieveSpans(client, traceIds, { StartTime: new Date(Date.now() - 3 * 3_600_000), EndTime: new Date(Date.now() + 3 * 3_600_000) });
    const skip = new Set(except);
    assert.deepEqual([...retrievedZipkinKeys(got)].sort(), [...zipkinKeysOf(spans.filter((s) => !skip.has(s)))].sort());
    return got.length;
  } finally {
    client.destroy();
  }
}

/** `waitJoined: false` when the translator is not expected to get ready (it is started all the same). */
async function stack(label: string, xrayEndpoint: string, procs: ServiceProcess[], waitJoined = true): Promise<{ names: ReturnType<typeof uniqueNames>; receiver: RunningService; translator: RunningService }> {
  const names = uniqueNames(label);
  await createTopic(testKafka(), names.spansTopic, 6);
  const [receiver, translator] = await Promise.all([
    startReceiver('receiver', { spansTopic: names.spansTopic }),
    startTranslator('translator-otlp', { ...names, xrayEndpoint, env: OTLP_ENV, waitJoined }),
  ]);
  procs.push(receiver.proc, translator.proc);
  return { names, receiver, translator };
}

/** Runs a test's `body`; a failure carries what the processes printed; the processes and xray-local are always stopped. */
async function guarded(procs: ServiceProcess[], closeXRay: () => Promise<void> | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    await closeXRay();
  }
}

const traffic = (traces: number): Span[][] => toBodies(Array.from({ length: traces }, () => generateTrace('128')));

test('OTLP endpoint down: nothing is committed while every request fails; once it is up every span arrives once', { timeout: 150_000 }, async () => {
  const port = await freePort();
  const kafka = testKafka();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let xray: XRayLocal | undefined;
  await guarded(procs, () => xray?.close(), async () => {
    const { names, receiver, translator } = await stack('otlp-down', `http://127.0.0.1:${port}`, procs);
    await postAll(receiver.url, traffic(30), ledger, 4);
    assert.equal(ledger.unacknowledged.length, 0, ledger.summary());
    await waitFor('the translator to fail requests to the closed port', 30_000, async () =>
      (await scrapeMetric(`${translator.url}/metrics`, 'meshray_translator_otlp_requests_total')) >= 3);
    await waitFor('readiness to report the failing export', 30_000, async () => {
      const res = await fetch(`${translator.url}/health/ready`);
      return res.status === 503 && /export failing/.test(await res.text());
    });
    const progress = await groupProgress(kafka, names.groupId, names.spansTopic);
    // span-list records: a record carries the spans of one send for one partition, so records ≠ spans
    assert.ok(progress.every((p) => p.committed === 0), `nothing committed while the endpoint is down: ${JSON.stringify(progress)}`);
    assert.ok(lagOf(progress) > 0, 'the accepted spans are in records still to be read');

    xray = await otlpLocal({ port });
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 60_000);
    const delivered = await assertDelivered(xray, ledger.accepted);
    console.log(`# otlp endpoint down: ${ledger.summary()}; ${delivered} spans retrieved after the endpoint came up`);
  });
});

test('Transaction Search off (destination XRay): nothing is committed or dead-lettered, readiness says why; once it is on every span arrives once', { timeout: 150_000 }, async () => {
  const xray = await startXRayLocal({ traceSegmentDestination: 'XRay' }); // the AWS default
  const kafka = testKafka();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  await guarded(procs, () => xray?.close(), async () => {
    const { names, receiver, translator } = await stack('otlp-ts-off', xray.endpoint, procs, false); // not ready: Transaction Search is off
    await postAll(receiver.url, traffic(30), ledger, 4);
    assert.equal(ledger.unacknowledged.length, 0, ledger.summary());
    await waitFor('the translator to be refused by the endpoint', 30_000, async () =>
      /meshray_translator_otlp_requests_total\{outcome="denied"\} [1-9]/.test(await (await fetch(`${translator.url}/metrics`)).text()));
    const ready = await fetch(`${translator.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /Transaction Search is not enabled/);
    const progress = await groupProgress(kafka, names.groupId, names.spansTopic);
    assert.ok(progress.every((p) => p.committed === 0), `nothing committed while Transaction Search is off: ${JSON.stringify(progress)}`);
    assert.ok(lagOf(progress) > 0, 'the accepted spans wait in Kafka');
    assert.equal((await readTopicToEnd(kafka, names.dlqTopic, { minRecords: 0, timeoutMs: 2_000 })).length, 0, 'nothing dead-lettered');

    const client = xrayClient(xray.endpoint);
    await client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
    client.destroy();
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 90_000);
    const delivered = await assertDelivered(xray, ledger.accepted);
    assert.equal((await readTopicToEnd(kafka, names.dlqTopic, { minRecords: 0, timeoutMs: 2_000 })).length, 0, 'still nothing dead-lettered');
    console.log(`# otlp, Transaction Search off then on: ${ledger.summary()}; ${delivered} spans retrieved once it was on`);
  });
});

test('OTLP endpoint throttled (429 + Retry-After) at 100 spans/s: lag builds, every span arrives once', { timeout: 150_000 }, async () => {
  const xray = await otlpLocal({ throttleSegmentsPerSecond: 100 });
  const kafka = testKafka();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  await guarded(procs, () => xray?.close(), async () => {
    const { names, receiver, translator } = await stack('otlp-throttle', xray.endpoint, procs);
    await postAll(receiver.url, traffic(150), ledger, 8);
    assert.ok(ledger.accepted.length >= 1000, ledger.summary());
    await waitFor('a throttled request', 30_000, async () => {
      const text = await (await fetch(`${translator.url}/metrics`)).text();
      return /meshray_translator_otlp_requests_total\{outcome="throttled"\} [1-9]/.test(text);
    });
    const lagWhileThrottled = lagOf(await groupProgress(kafka, names.groupId, names.spansTopic));
    assert.ok(lagWhileThrottled > 0, 'the throttle did not hold the group back');
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 90_000);
    const delivered = await assertDelivered(xray, ledger.accepted);
    console.log(`# otlp throttled: ${ledger.summary()}; lag ${lagWhileThrottled} records while throttled; ${delivered} spans retrieved`);
  });
});

test('OTLP partial success: the span the endpoint refuses goes to the DLQ with its reason, the rest arrive once, all committed', { timeout: 150_000 }, async () => {
  // xray-local's clock an hour behind: a span 90 minutes ahead is within meshray's 2 h but 2.5 h ahead there.
  const xray = await otlpLocal({ nowMs: () => Date.now() - 3_600_000 });
  const kafka = testKafka();
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  await guarded(procs, () => xray?.close(), async () => {
    const { names, receiver } = await stack('otlp-partial', xray.endpoint, procs);
    const traces = Array.from({ length: 20 }, () => generateTrace('128'));
    const refused = { ...(traces[3]?.[1] as Span), timestampMicros: (Date.now() + 90 * 60_000) * 1000 };
    traces[3]?.splice(1, 1, refused);
    await postAll(receiver.url, toBodies(traces), ledger, 4);
    assert.equal(ledger.unacknowledged.length, 0, ledger.summary());
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 60_000);
    await assertDelivered(xray, ledger.accepted, [refused]);

    const letters = await readTopicToEnd(kafka, names.dlqTopic, { minRecords: 1, timeoutMs: 30_000 });
    assert.equal(letters.length, 1, 'exactly one dead letter');
    const letter = letters[0];
    assert.ok(letter !== undefined);
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.code], 'SEGMENT_REJECTED');
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.reason], 'partial_success');
    assert.match(letter.headers[DEAD_LETTER_HEADERS.message] ?? '', /2 hours ahead/);
    const span = decodeSpanRecord(letter);
    assert.ok(span.ok && span.value.id === refused.id, 'the dead letter is the refused span');
    console.log(`# otlp partial success: ${ledger.summary()}; dead letter ${letter.headers[DEAD_LETTER_HEADERS.reason]}: ${letter.headers[DEAD_LETTER_HEADERS.message]}`);
  });
});
