/** The end-of-test ledger check of the backbone and failover e2e tests. */
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { waitCaughtUp } from './kafka.ts';
import { expectedDocuments, type Ledger } from './traffic.ts';
import { checkAgainstLedger } from './verify.ts';
import { diagnoseMissing, spanKey } from './missing.ts';
import { readAllDocuments, xrayClient, type XRayLocal, storedEntityCount } from '../../support/xray-local.ts';
import { waitFor } from '../../support/wait.ts';

/** Waits until the group committed everything, then checks xray-local (through the SDK) against the ledger. */
export async function assertLedgerDelivered(o: { kafka: Kafka; names: { groupId: string; spansTopic: string }; xray: XRayLocal; ledger: Ledger; catchUpMs: number }): Promise<{ documents: number; traces: number; extra: number }> {
  const expected = expectedDocuments(o.ledger.accepted);
  await waitCaughtUp(o.kafka, o.names.groupId, o.names.spansTopic, o.catchUpMs);
  // on a timeout, go on: the check below names the missing documents
  await waitFor(`${expected.documents} documents in xray-local`, 20_000, () => storedEntityCount(o.xray.store) >= expected.documents, {
    describe: () => `${storedEntityCount(o.xray.store)} stored; ${o.ledger.summary()}`,
  }).catch(() => undefined);
  const client = xrayClient(o.xray.endpoint);
  try {
    const stored = await readAllDocuments(client, new Date(Date.now() - 29 * 86_400_000), new Date(Date.now() + 3_600_000));
    const tolerated = new Set(expectedDocuments(o.ledger.unacknowledged).traceKeyOf.keys());
    const check = checkAgainstLedger(stored, expected, tolerated);
    let where = '';
    if (check.missing.length > 0) {
      // Decides whose fault it is: are the missing documents' spans in the topic, and committed past?
      const missing = new Set(check.missing.map((id) => spanKey(expected.traceKeyOf.get(id) ?? '', expected.spanIdOf.get(id) ?? '')));
      where = (await diagnoseMissing({ kafka: o.kafka, topic: o.names.spansTopic, groupId: o.names.groupId, accepted: o.ledger.accepted, missing })
        .catch((e: unknown) => ({ text: `could not locate the missing documents' spans: ${(e as Error).message}` }))).text;
      console.log(`# ${where.replaceAll('\n', '\n# ')}`);
    }
    assert.deepEqual(check.problems, [], `${o.ledger.summary()}${where === '' ? '' : `\n${where}`}`);
    return { documents: expected.documents, traces: expected.traces, extra: check.extra };
  } finally {
    client.destroy();
  }
}
