/**
 * Acceptance (issue 8, 1), through the receiver: every input rebuilt from a public bug report
 * (test/fixtures/reported/) is posted to a receiver PROCESS, goes through a real Kafka topic and a translator
 * PROCESS (Redis epoch store) into xray-local, and what its `.expected.txt` says must hold is checked through
 * the real @aws-sdk/client-xray. The dry-run half is test/unit/services/cli/commands/translate.reported.test.ts.
 *
 * The translator reads the wall clock: these spans were sent on 2025-06-01, so EPOCH_POLICY=auto dates their
 * X-Ray trace ids inside X-Ray's window of today, and xray-local (which refuses what X-Ray refuses) takes them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GetTraceSummariesCommand } from '@aws-sdk/client-xray';
import { testTopic, waitCaughtUp } from './support/kafka.ts';
import { describeProcesses, killAll, type ServiceProcess } from './support/processes.ts';
import { startPipeline } from './support/stack.ts';
import { readAllDocuments, startXRayLocal, storedEntityCount, xrayClient } from '../support/xray-local.ts';
import { waitFor } from '../support/wait.ts';

const body = (name: string): string => readFileSync(new URL(`../fixtures/reported/${name}`, import.meta.url), 'utf8');

interface Doc {
  id: string;
  name: string;
  trace_id: string;
  start_time: number;
  end_time?: number;
  http?: { request?: { client_ip?: string }; response?: { status?: number } };
  metadata?: Record<string, unknown>;
}

after(killAll);

test('reported inputs through receiver → Kafka → translator → xray-local hold what their .expected.txt says', { timeout: 150_000 }, async () => {
  const { kafka, names } = await testTopic('reported');
  const xray = await startXRayLocal();
  const client = xrayClient(xray.endpoint);
  const procs: ServiceProcess[] = [];
  try {
    const { receiver } = await startPipeline(names, ['translator'], { xrayEndpoint: xray.endpoint }, procs);

    const post = async (route: 'v1' | 'v2', name: string): Promise<Response> =>
      fetch(`${receiver.url}/api/${route}/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(name) });

    // 02: 202 for the batch with a negative duration (Zipkin reads it as absent)
    const r02 = await post('v2', '02-negative-duration-batch.json');
    assert.equal(r02.status, 202, await r02.text());
    // 03, 04: v1 bodies with a host name as ipv4 and negative ports: 202, not 400
    const r03 = await post('v1', '03-v1-ipv4-is-hostname.json');
    assert.equal(r03.status, 202, await r03.text());
    const r04 = await post('v1', '04-negative-endpoint-port.json');
    assert.equal(r04.status, 202, await r04.text());
    const r11 = await post('v2', '11-waypoint-peer-address.json');
    assert.equal(r11.status, 202, await r11.text());
    const r13 = await post('v2', '13-millisecond-timestamps.json');
    assert.equal(r13.status, 202, await r13.text());

    const wanted = ['352bff9a74ca9ad2', '352bff9a74ca9ad3', 'e4a1c0b2d3f40516', '9c1e5d7a2b3f4e60', '3f1a9c2e7d4b6a50', '61a7b9c0d2e4f618'];
    await waitFor('every reported span in xray-local', 60_000, () => wanted.every((id) => xray.received.has(id)) && storedEntityCount(xray.store) >= wanted.length, {
      describe: () => `${storedEntityCount(xray.store)} stored, received ${[...xray.received.keys()].join(',')}\n${describeProcesses(procs)}`,
    });
    await waitCaughtUp(kafka, names.groupId, names.spansTopic, 30_000);

    const stored = (await readAllDocuments(client, new Date('2000-01-01T00:00:00Z'), new Date(Date.now() + 3_600_000)))
      .map((d) => JSON.parse(d.document) as Doc);
    const byId = (id: string): Doc[] => stored.filter((d) => d.id === id);

    // 02: at least the valid span reached X-Ray: segment "backend", 1.431 ms
    const valid = byId('352bff9a74ca9ad2')[0];
    assert.ok(valid, '02: the valid span reached xray-local');
    assert.equal(valid.name, 'backend');
    assert.equal(Math.round(((valid.end_time ?? 0) - valid.start_time) * 1e6), 1431);
    // 03: the v1 span's segment "storefront"
    assert.deepEqual(byId('e4a1c0b2d3f40516').map((d) => d.name), ['storefront'], '03');
    // 04: segment "quotes", status 200
    assert.deepEqual(byId('9c1e5d7a2b3f4e60').map((d) => [d.name, d.http?.response?.status]), [['quotes', 200]], '04');
    // 11: the filter http.clientip BEGINSWITH "envoy" finds nothing; peer.address stays in metadata
    const envoy = await client.send(new GetTraceSummariesCommand({
      StartTime: new Date('2000-01-01T00:00:00Z'), EndTime: new Date(Date.now() + 3_600_000), FilterExpression: 'http.clientip BEGINSWITH "envoy"',
    }));
    assert.deepEqual(envoy.TraceSummaries ?? [], [], '11: no trace has a client_ip starting with "envoy"');
    const waypoint = byId('3f1a9c2e7d4b6a50');
    assert.equal(waypoint.length, 1, '11: the waypoint SERVER span reached xray-local');
    assert.equal(waypoint[0]?.http?.request?.client_ip, undefined);
    assert.match(JSON.stringify(waypoint[0]?.metadata), /envoy:\/\/internal_client_address\//);
    // 13: milliseconds repaired; the trace id is dated inside X-Ray's window (xray-local refuses the others)
    const millis = byId('61a7b9c0d2e4f618')[0];
    assert.ok(millis, '13: the span reached xray-local');
    assert.equal(millis.start_time, 1748779200.123);
    const epochMs = Number.parseInt(millis.trace_id.slice(2, 10), 16) * 1000;
    assert.ok(epochMs >= Date.now() - 30 * 86_400_000 && epochMs <= Date.now() + 300_000, `13: ${millis.trace_id} is dated inside X-Ray's window`);

    // nothing was refused anywhere: every document X-Ray (xray-local) was sent was stored
    assert.equal(stored.length, xray.store.segmentCount);
    const metrics = await (await fetch(`${receiver.url}/metrics`)).text();
    assert.match(metrics, /meshray_receiver_spans_repaired_total\{reason="timestamp_unit_repaired"\} 1/);
    assert.doesNotMatch(metrics, /meshray_receiver_spans_refused_total\{/, 'no span refused');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeProcesses(procs)}`, { cause: error });
  } finally {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await killAll();
    client.destroy();
    await xray.close();
  }
});
