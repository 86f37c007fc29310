/**
 * Acceptance: the translator group scales by partitions. With 6 partitions and 2 translator PROCESSES, a
 * third joins and then one leaves (SIGTERM: graceful, commits what it exported) while a producer keeps
 * posting Envoy-sized bodies (≤ 5 spans, a trace's spans spread over several requests, 64-bit, 128-bit
 * and mixed-width trace ids, spans of one trace starting in different seconds). Every span answered 202
 * (the LEDGER) ends up in xray-local, once, and all documents of a trace share one X-Ray trace id even
 * when its spans were translated by different instances around a rebalance (the Redis epoch store).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { testTopic, waitCaughtUp } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { describeProcesses, killAll, type ServiceProcess } from '../support/processes.ts';
import { startPipeline, startTranslator } from '../support/stack.ts';
import { expectedDocuments, Ledger, TrafficPump } from '../support/traffic.ts';
import { checkAgainstLedger } from '../support/verify.ts';
import { readAllDocuments, startXRayLocal, xrayClient, storedEntityCount } from '../../support/xray-local.ts';
import { waitFor } from '../../support/wait.ts';

after(killAll);

test('a translator joins and another leaves mid-stream: every ledgered span arrives once, one X-Ray id per trace', { timeout: 200_000 }, async () => {
  const { kafka, names } = await testTopic('scale');
  const xray = await startXRayLocal();
  const client = xrayClient(xray.endpoint);
  const procs: ServiceProcess[] = [];
  const ledger = new Ledger();
  let pump: TrafficPump | undefined;
  try {
    const { receiver, translators: [t1, t2] } = await startPipeline(names, ['translator-1', 'translator-2'], { xrayEndpoint: xray.endpoint }, procs);

    pump = new TrafficPump({ receiverUrl: receiver.url, ledger, spansPerSecond: 250 });
    await waitFor('documents flowing', 30_000, () => storedEntityCount(xray.store) > 200, { describe: () => ledger.summary() });

    // a third instance joins while traffic flows
    const t3 = await startTranslator('translator-3', { ...names, xrayEndpoint: xray.endpoint });
    procs.push(t3.proc);
    await waitFor('translator-3 to translate records', 60_000, async () => (await scrapeMetric(`${t3.url}/metrics`, 'meshray_translator_records_total')) > 0);
    const withThree = storedEntityCount(xray.store);
    await waitFor('300 more documents with three translators', 30_000, () => storedEntityCount(xray.store) > withThree + 300);

    // one leaves (SIGTERM: finishes its batches, commits, leaves the group)
    const beforeLeave = storedEntityCount(xray.store);
    t1.proc.signal('SIGTERM');
    const exit = await t1.proc.waitExit(40_000);
    assert.deepEqual(exit, { code: 0, signal: null }, `translator-1 did not shut down cleanly: ${JSON.stringify(exit)}`);
    await waitFor('documents flowing after translator-1 left', 60_000, () => storedEntityCount(xray.store) > beforeLeave + 300);
    const afterLeave = storedEntityCount(xray.store);
    await waitFor('300 more documents with two translators', 30_000, () => storedEntityCount(xray.store) > afterLeave + 300);
    await pump.stop();

    const expected = expectedDocuments(ledger.accepted);
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 90_000);
    await waitFor(`${expected.documents} documents in xray-local`, 30_000, () => storedEntityCount(xray.store) >= expected.documents, {
      describe: () => `${storedEntityCount(xray.store)} stored; ${ledger.summary()}`,
    });

    const stored = await readAllDocuments(client, new Date(Date.now() - 29 * 86_400_000), new Date(Date.now() + 3_600_000));
    const tolerated = new Set(expectedDocuments(ledger.unacknowledged).traceKeyOf.keys());
    const check = checkAgainstLedger(stored, expected, tolerated);
    assert.deepEqual(check.problems, [], ledger.summary());
    assert.ok(expected.traces >= 100 && ledger.accepted.length >= 1000, `too little traffic to mean anything: ${ledger.summary()}`);
    for (const t of [t2, t3]) {
      assert.ok((await scrapeMetric(`${t.url}/metrics`, 'meshray_translator_records_total')) > 0, `${t.proc.label} translated nothing`);
    }
    console.log(`# scale-rebalance: ${ledger.summary()}; ${expected.documents} documents in ${expected.traces} traces; ${check.extra} unacknowledged arrived`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await pump?.stop();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    client.destroy();
    await xray.close();
  }
});
