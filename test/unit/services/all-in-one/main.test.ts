import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNdjsonV2Batch } from '../../../../shared/core/zipkin/index.ts';
import { waitFor } from '../../../support/wait.ts';
import { main } from '../../../../services/all-in-one/main.ts';
import { isMeshrayError } from '../../../../shared/edge/errors/index.ts';
import { createLogger, silentLogger } from '../../../../shared/edge/log/index.ts';
import { Registry } from 'prom-client';
import { buildXRayLocal, SegmentStore } from '../../../../services/xray-local/index.ts';

async function listening(wantedPort?: number): Promise<Server & { port: number }> {
  const server = createServer();
  server.listen({ port: wantedPort ?? 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address ? address.port : 0 });
}
const closed = (server: Server): Promise<void> => new Promise((resolve) => { server.close(() => resolve()); });

test('meshray start with its receiver port in use fails with the one PORT_UNAVAILABLE line, and leaves nothing listening', async () => {
  const busy = await listening();
  const spare = await listening();
  const xrayLocalPort = spare.port;
  await closed(spare);
  try {
    await assert.rejects(
      main({ RECEIVER_PORT: String(busy.port), RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: String(xrayLocalPort) }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'PORT_UNAVAILABLE'
        && e.message === `RECEIVER_PORT=${busy.port}: port ${busy.port} on 127.0.0.1 is already in use; set RECEIVER_PORT to a free port`,
    );
    const again = await listening(xrayLocalPort); // the embedded xray-local let its port go
    await closed(again);
  } finally {
    await closed(busy);
  }
});

test('meshray start with both its ports in use names both in its one PORT_UNAVAILABLE line', async () => {
  const receiverBusy = await listening();
  const xrayBusy = await listening();
  try {
    await assert.rejects(
      main({ RECEIVER_PORT: String(receiverBusy.port), RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: String(xrayBusy.port) }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'PORT_UNAVAILABLE'
        && e.message === `XRAY_LOCAL_PORT=${xrayBusy.port}: port ${xrayBusy.port} on 127.0.0.1 is already in use; set XRAY_LOCAL_PORT to a free port; `
          + `RECEIVER_PORT=${receiverBusy.port}: port ${receiverBusy.port} on 127.0.0.1 is already in use; set RECEIVER_PORT to a free port`,
    );
  } finally {
    await closed(receiverBusy);
    await closed(xrayBusy);
  }
});

test('meshray start with the embedded xray-local\'s port in use names XRAY_LOCAL_PORT', async () => {
  const busy = await listening();
  try {
    await assert.rejects(
      main({ XRAY_LOCAL_PORT: String(busy.port), RECEIVER_PORT: '0' }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'PORT_UNAVAILABLE' && e.message.startsWith(`XRAY_LOCAL_PORT=${busy.port}: port ${busy.port} on 127.0.0.1 is already in use`),
    );
  } finally {
    await closed(busy);
  }
});

test('meshray start writes a dead-lettered span to DEAD_LETTER_FILE, which translate and send read back; its good neighbour reaches xray-local', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlq-'));
  const file = join(dir, 'dead.ndjson');
  const app = await main({ RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: file }, silentLogger());
  try {
    const nowUs = Date.now() * 1000;
    const good = { traceId: '5555555555555555', id: '0000000000000051', name: 'get', kind: 'SERVER', localEndpoint: { serviceName: 'good' }, timestamp: nowUs, duration: 2500 };
    const noTimestamp = { traceId: '4444444444444444', id: '0000000000000041', name: 'get', kind: 'SERVER', localEndpoint: { serviceName: 'late-part' }, duration: 2500 };
    const receiverPort = (app.receiver.server.address() as AddressInfo).port;
    const answer = await fetch(`http://127.0.0.1:${receiverPort}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([good, noTimestamp]) });
    assert.equal(answer.status, 202);
    await waitFor('both spans committed (exported or dead-lettered)', 20_000, () => app.topic.size === 0 && existsSync(file), { intervalMs: 50 });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; errorCode: string; span: { id: string } | null });
    assert.deepEqual(lines.map((l) => [l.reason, l.errorCode, l.span?.id]), [['no_timestamp', 'SPAN_UNTRANSLATABLE', '0000000000000041']]);
    const back = decodeNdjsonV2Batch(readFileSync(file)); // what translate and send read ndjson with
    assert.ok(back.ok);
    assert.deepEqual(back.value.refused, []);
    assert.deepEqual(back.value.spans.map((s) => s.id), ['0000000000000041']);
    const xrayPort = (app.xrayLocal?.server.address() as AddressInfo).port;
    const summaries = await (await fetch(`http://127.0.0.1:${xrayPort}/TraceSummaries`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ StartTime: Date.now() / 1000 - 600, EndTime: Date.now() / 1000 + 60, TimeRangeType: 'Event' }),
    })).json() as { TraceSummaries: { Id: string }[] };
    assert.equal(summaries.TraceSummaries.length, 1, 'the good span\'s trace is in xray-local');
  } finally {
    await app.close(5_000);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('meshray start fails /health/live while a dead letter cannot be written (its partition retries in place), and recovers once it can (newcomer trial)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlq-'));
  const file = join(dir, 'dead.ndjson');
  const app = await main({ RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: file, LIVENESS_STALL_TIMEOUT: '1s' }, silentLogger());
  try {
    mkdirSync(file); // the path turns into a directory while meshray runs: appends fail with EISDIR
    const nowUs = Date.now() * 1000;
    const good = { traceId: '6666666666666666', id: '0000000000000061', name: 'get', kind: 'SERVER', localEndpoint: { serviceName: 'good' }, timestamp: nowUs, duration: 2500 };
    const noTimestamp = { traceId: '6666666666666666', id: '0000000000000062', parentId: '0000000000000061', name: 'get', kind: 'CLIENT', localEndpoint: { serviceName: 'good' }, duration: 2500 };
    const receiverPort = (app.receiver.server.address() as AddressInfo).port;
    const receiver = `http://127.0.0.1:${receiverPort}`;
    const answer = await fetch(`${receiver}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([good, noTimestamp]) });
    assert.equal(answer.status, 202);
    const live = async (): Promise<{ status: number; body: string }> => {
      const res = await fetch(`${receiver}/health/live`);
      return { status: res.status, body: await res.text() };
    };
    assert.equal((await live()).status, 200);
    const stalled = await waitFor('/health/live to fail', 20_000, async () => { const l = await live(); return l.status === 503 && l; }, { intervalMs: 100 });
    assert.match(stalled.body, /consumer stalled: partition \d+ is \d+ records behind, no commit for \d+ ms/);
    assert.notEqual(app.topic.size, 0, 'the record is still held: nothing was committed past the span that could not be dead-lettered');
    rmdirSync(file);
    await waitFor('the dead letter written and the partition moving on', 20_000, () => app.topic.size === 0 && existsSync(file) && statSync(file).isFile(), { intervalMs: 100 });
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { reason: string }).reason), ['no_timestamp']);
    assert.equal((await live()).status, 200, 'live again once the partition moved');
  } finally {
    await app.close(5_000);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * `meshray start` exporting to an X-Ray that takes 2 documents a second, with 30 spans (ids from `idBase`)
 * answered 202: most of them are still in the in-process topic when the test stops it.
 */
async function startBehindThrottledXRay(idBase: number) {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlq-'));
  const file = join(dir, 'dead.ndjson');
  const store = new SegmentStore({ maxSegments: 1000 });
  const xray = buildXRayLocal({ logger: silentLogger(), registry: new Registry(), maxSegments: 1000, store, throttleSegmentsPerSecond: 2 });
  await xray.app.listen({ port: 0, host: '127.0.0.1' });
  const xrayPort = (xray.app.server.address() as AddressInfo).port;
  const app = await main({
    RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_ENDPOINT: `http://127.0.0.1:${xrayPort}`, DEAD_LETTER_FILE: file,
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1',
  }, silentLogger());
  const ids = Array.from({ length: 30 }, (_, i) => (idBase + i).toString(16).padStart(16, '0'));
  const nowUs = Date.now() * 1000;
  const spans = ids.map((id, i) => ({ traceId: `${(idBase * 64 + i).toString(16).padStart(16, '0')}`, id, name: 'get', kind: 'SERVER', localEndpoint: { serviceName: 'svc' }, timestamp: nowUs, duration: 1000 }));
  const receiverPort = (app.receiver.server.address() as AddressInfo).port;
  const answer = await fetch(`http://127.0.0.1:${receiverPort}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
  return {
    app, file, ids, status: answer.status,
    /** The file's lines. */
    lines: () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; errorCode: string; span: { id: string } | null }),
    /** Every span id X-Ray stored or the file holds. */
    keptIds: (saved: readonly (string | undefined)[]) => [...new Set([...[...store.traces()].flatMap((t) => [...t.segments.keys()]), ...saved])].sort(),
    cleanUp: async () => { await xray.app.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

test('meshray start writes the spans it did not get exported by shutdown to DEAD_LETTER_FILE: with what X-Ray stored, every span answered 202', async () => {
  const run = await startBehindThrottledXRay(0x100);
  try {
    assert.equal(run.status, 202);
  } finally {
    // A drain of 60 s that a second Ctrl-C (hurry) ends at once: the test would time out otherwise.
    const closing = run.app.close(60_000);
    assert.equal(run.app.close(), closing, 'close() again returns the same shutdown');
    run.app.hurry();
    await closing;
  }
  try {
    const lines = run.lines();
    assert.ok(lines.length > 0, 'a throttled X-Ray leaves spans unexported at shutdown');
    assert.ok(lines.every((l) => l.reason === 'unexported_at_shutdown' && l.errorCode === 'NOT_READY'), JSON.stringify(lines[0]));
    assert.deepEqual(run.keptIds(lines.map((l) => l.span?.id)), run.ids, 'every span answered 202 is in X-Ray or in the file');
    const back = decodeNdjsonV2Batch(readFileSync(run.file)); // what `meshray send FILE` reads
    assert.ok(back.ok);
    assert.equal(back.value.spans.length, lines.length);
  } finally {
    await run.cleanUp();
  }
});

test('meshray start, exiting at once (a third Ctrl-C: abandon), first writes what it holds to DEAD_LETTER_FILE synchronously', async () => {
  const run = await startBehindThrottledXRay(0x200);
  let said = '';
  try {
    assert.equal(run.status, 202);
    said = run.app.abandon();
    assert.equal(run.app.topic.size, 0, 'nothing is held any more');
  } finally {
    run.app.hurry();
    await run.app.close(60_000);
  }
  try {
    const lines = run.lines();
    assert.match(said, new RegExp(`^${lines.length} spans not exported were written to ${run.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(lines.every((l) => l.reason === 'unexported_at_shutdown'));
    assert.deepEqual(run.keptIds(lines.map((l) => l.span?.id)), run.ids, 'every span answered 202 is in X-Ray or in the file');
  } finally {
    await run.cleanUp();
  }
});

test('meshray start with RECEIVER_PORT=0 and XRAY_LOCAL_PORT=0 logs the ports it bound', async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', service: 'meshray', destination: { write: (l: string) => { lines.push(l); } } });
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlq-'));
  const app = await main({ RECEIVER_PORT: '0', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: join(dir, 'dead.ndjson') }, logger);
  try {
    const started = lines.map((l) => JSON.parse(l) as { msg: string; receiverPort?: number; xrayLocalPort?: number }).find((l) => l.msg === 'meshray started');
    assert.deepEqual([started?.receiverPort, started?.xrayLocalPort], [(app.receiver.server.address() as AddressInfo).port, (app.xrayLocal?.server.address() as AddressInfo).port]);
    assert.ok((started?.receiverPort ?? 0) > 0);
  } finally {
    await app.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('meshray start refuses a DEAD_LETTER_FILE it cannot write, naming it, before it listens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlq-'));
  const blocker = join(dir, 'not-a-dir');
  writeFileSync(blocker, 'a file where a directory should be');
  try {
    await assert.rejects(
      main({ RECEIVER_PORT: '0', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: join(blocker, 'dead.ndjson') }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'CONFIG_INVALID' && e.message.startsWith(`DEAD_LETTER_FILE=${join(blocker, 'dead.ndjson')}: cannot be written`),
    );
    await assert.rejects(
      main({ RECEIVER_PORT: '0', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: dir }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'CONFIG_INVALID' && /cannot be written/.test(e.message),
      'a directory is not a file to append to',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
