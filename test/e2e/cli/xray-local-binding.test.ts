// e2e: `meshray xray-local` as a process says at start-up who can reach it (issue 10 §4): loopback by
// default (it has no authentication), every interface only when XRAY_LOCAL_HOST says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REPO_ROOT, ServiceProcess } from '../support/processes.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

function xrayLocal(env: Record<string, string>): ServiceProcess {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT' && k !== 'XRAY_LOCAL_HOST') base[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', 'xray-local'], {
    cwd: REPO_ROOT, env: { ...base, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  return new ServiceProcess('xray-local', child);
}

const listeningLine = (output: string): { msg: string; address: string } | undefined => {
  for (const line of output.split('\n')) {
    try {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg?.startsWith('xray-local listening') && entry.address) return { msg: entry.msg, address: entry.address };
    } catch { /* not JSON */ }
  }
  return undefined;
};

test('meshray xray-local binds 127.0.0.1 by default and says so; XRAY_LOCAL_HOST=0.0.0.0 is said to be reachable from other machines', async () => {
  const port = await freePort();
  const loopback = xrayLocal({ XRAY_LOCAL_PORT: String(port) });
  try {
    const line = await waitFor('the listening line', 30_000, () => listeningLine(loopback.output()), { describe: () => loopback.output() });
    assert.equal(line.address, `http://127.0.0.1:${port}`);
    assert.match(line.msg, /on 127\.0\.0\.1 only \(no authentication; set XRAY_LOCAL_HOST=0\.0\.0\.0/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200);
  } finally {
    await loopback.stop();
  }
  const open = xrayLocal({ XRAY_LOCAL_PORT: String(port), XRAY_LOCAL_HOST: '0.0.0.0' });
  try {
    const line = await waitFor('the listening line', 30_000, () => listeningLine(open.output()), { describe: () => open.output() });
    assert.match(line.msg, /on 0\.0\.0\.0: reachable from other machines, with no authentication/);
  } finally {
    await open.stop();
  }
});
