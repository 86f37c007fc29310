/**
 * Acceptance: `npm start` serves :9411 and :2000 with nothing else running, and a posted trace is
 * visible through GetTraceSummaries (real AWS SDK) within 5 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { waitFor } from '../support/wait.ts';
import { runningReceivers } from '../../services/cli/running-receivers.ts';


test('npm start serves :9411 and :2000; a posted trace is visible within 5 s', { timeout: 90_000 }, async () => {
  // Where it announces its receiver to `meshray send` and `meshray demo` (services/cli/running-receivers.ts).
  const runtimeDir = mkdtempSync(join(tmpdir(), 'meshray-e2e-runtime-'));
  const child = spawn('npm', ['start'], { env: { ...process.env, LOG_LEVEL: 'warn', MESHRAY_RUNTIME_DIR: runtimeDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
  try {
    await waitFor('receiver ready', 60_000, async () => ((await fetch('http://127.0.0.1:9411/health/ready')).ok ? true : undefined));
    await waitFor('xray-local ready', 10_000, async () => ((await fetch('http://127.0.0.1:2000/health/ready')).ok ? true : undefined));
    const announced = await waitFor('the receiver announced', 10_000, () => {
      const found = runningReceivers(runtimeDir);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(announced.map(({ command, receiver }) => ({ command, receiver })), [{ command: 'start', receiver: 'http://127.0.0.1:9411' }]);

    const traceId = randomBytes(16).toString('hex');
    const nowMicros = Date.now() * 1000;
    const spans = [
      { traceId, id: 'a000000000000001', kind: 'CLIENT', name: 'productpage', timestamp: nowMicros, duration: 20_000,
        localEndpoint: { serviceName: 'istio-ingressgateway' },
        tags: { 'http.method': 'GET', 'http.status_code': '200', upstream_cluster: 'outbound|9080||productpage.default.svc.cluster.local' } },
      { traceId, id: 'a000000000000002', parentId: 'a000000000000001', kind: 'SERVER', name: 'productpage', timestamp: nowMicros + 1000, duration: 18_000,
        localEndpoint: { serviceName: 'productpage.default' },
        tags: { 'http.method': 'GET', 'http.status_code': '200', upstream_cluster: 'inbound|9080|http|productpage.default.svc.cluster.local' } },
    ];
    const posted = Date.now();
    const res = await fetch('http://127.0.0.1:9411/api/v2/spans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
    assert.equal(res.status, 202);

    const xray = new XRayClient({ endpoint: 'http://127.0.0.1:2000', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const summary = await waitFor('the trace in GetTraceSummaries', 5_000, async () => {
      const r = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(posted - 60_000), EndTime: new Date(Date.now() + 60_000) }));
      return r.TraceSummaries?.find((s) => s.Id?.endsWith(traceId.slice(8)));
    });
    const visibleAfterMs = Date.now() - posted;
    assert.ok(visibleAfterMs <= 5_000, `visible after ${visibleAfterMs} ms`);
    const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [summary.Id ?? ''] }));
    // PACKING=on (the default): the gateway's segment carries its call to productpage nested as a subsegment
    interface Named { name: string; subsegments?: Named[] }
    const namesOf = (d: Named): string[] => [d.name, ...(d.subsegments ?? []).flatMap(namesOf)];
    const documents = (traces.Traces?.[0]?.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}') as Named);
    assert.deepEqual(documents.map((d) => d.name).sort(), ['istio-ingressgateway', 'productpage.default'], 'one document per service hop');
    assert.deepEqual(documents.flatMap(namesOf).sort(), ['istio-ingressgateway', 'productpage.default', 'productpage.default']);
    xray.destroy();

    // A supervisor signals npm's pid alone (not the terminal's process group): npm forwards it to meshray
    // (the script execs node: with a shell in between, the shell died and meshray ran on, orphaned).
    const exited = new Promise((r) => child.once('exit', r));
    assert.ok(child.pid !== undefined, 'npm started');
    process.kill(child.pid, 'SIGTERM');
    await exited;
    const serving = await fetch('http://127.0.0.1:9411/health/live').then(() => true, () => false);
    assert.equal(serving, false, 'meshray stopped with npm: nothing serves :9411');
    assert.deepEqual(readdirSync(runtimeDir), [], 'it took its receiver back from the runtime directory');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- meshray output ---\n${output.slice(-4000)}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    // whatever npm left behind in its process group
    try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
    rmSync(runtimeDir, { recursive: true, force: true });
  }
});
