/**
 * Regenerates the README's console screenshots (docs/images/console-*.png) from exactly the commands the
 * README prints beside them, in headless Chromium as the console's browser tests drive it:
 *
 *   npm start
 *   npm run -s meshray -- demo --rate 20 --duration 60s
 *
 * then http://localhost:2000/#/map?range=15m and the first trace's timeline. Uses the default ports
 * (9411, 2000): run it when nothing else holds them (`flock /tmp/meshray-heavy.lock npm run -s docs:screenshots`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const START_COMMAND = 'npm start';
export const DEMO_COMMAND = 'npm run -s meshray -- demo --rate 20 --duration 60s';
const CONSOLE = 'http://localhost:2000';

const run = (command: string): ChildProcess =>
  spawn(command, { shell: true, stdio: ['ignore', 'inherit', 'inherit'], detached: true, env: { ...process.env, LOG_LEVEL: 'warn' } });

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const exited = (child: ChildProcess): Promise<number> => new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));

const start = run(START_COMMAND);
try {
  await until('the receiver', 90_000, async () => (await fetch('http://localhost:9411/health/ready')).ok);
  await until('xray-local', 30_000, async () => (await fetch(`${CONSOLE}/health/ready`)).ok);
  const demo = run(DEMO_COMMAND);
  const code = await exited(demo);
  if (code !== 0) throw new Error(`${DEMO_COMMAND} exited with ${code}`);

  const xray = new XRayClient({ endpoint: CONSOLE, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 15 * 60_000), EndTime: new Date() }));
  xray.destroy();
  // The trace with the most spans: productpage → details, reviews → ratings.
  const trace = [...(summaries.TraceSummaries ?? [])].sort((a, b) => (b.Duration ?? 0) - (a.Duration ?? 0))[0];
  if (trace?.Id === undefined) throw new Error('no trace in xray-local after the demo');

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${CONSOLE}/#/map?range=15m`);
    await page.waitForSelector('body[data-ready="map"]', { timeout: 30_000 });
    await page.screenshot({ path: 'docs/images/console-map.png' });
    await page.goto(`${CONSOLE}/#/trace/${encodeURIComponent(trace.Id)}?range=15m`);
    await page.waitForSelector('body[data-ready="trace"]', { timeout: 30_000 });
    await page.screenshot({ path: 'docs/images/console-timeline.png' });
  } finally {
    await browser.close();
  }
  process.stdout.write(`docs/images/console-map.png, docs/images/console-timeline.png from '${START_COMMAND}' and '${DEMO_COMMAND}' (trace ${trace.Id})\n`);
} finally {
  if (start.pid !== undefined) process.kill(-start.pid, 'SIGTERM');
  await exited(start);
}
