/**
 * The compiled CLI, as the image and an npm install run it: `npm run build`'s steps (tsc, then
 * scripts/copy-runtime-assets.mjs and scripts/build-console.mjs) into a scratch output directory, then
 * xray-local, the receiver and a translator started from the compiled JavaScript alone. Each must get ready,
 * spans must reach xray-local through Kafka, and the console must be served. tsc emits no .proto, schema or
 * console file: a build that forgot one crashed at start-up (the OTLP descriptors) while every test that runs
 * the TypeScript sources passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDemo } from '../../../services/simulator/index.ts';
import { REPO_ROOT, describeProcesses, spawnCli, type ServiceProcess } from '../support/processes.ts';
import { KAFKA_BROKERS } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

const OUT_DIR = join(REPO_ROOT, '.tmp', `compiled-${process.pid}`);

function build(): void {
  const steps: [string, string[]][] = [
    ['tsc', [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', OUT_DIR]],
    ['copy-runtime-assets', ['scripts/copy-runtime-assets.mjs', OUT_DIR]],
    ['build-console', ['scripts/build-console.mjs', OUT_DIR]],
  ];
  for (const [name, args] of steps) {
    const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  }
}

test('the compiled CLI alone runs xray-local, the receiver and a translator end to end', { timeout: 240_000 }, async () => {
  const started: ServiceProcess[] = [];
  try {
    build();
    const cli = [join(OUT_DIR, 'services/cli/main.js')];
    for (const asset of ['shared/core/otlp/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto', 'services/xray-local/console/dist/app.js']) {
      assert.ok(existsSync(join(OUT_DIR, asset)), `the build holds ${asset}`);
    }
    const [xrayPort, receiverPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const run = `compiled-${process.pid}-${Date.now()}`;
    const topics = { SPANS_TOPIC: `meshray.${run}`, DLQ_TOPIC: `meshray.${run}.dlq` };
    const ready = async (port: number): Promise<void> => {
      await waitFor(`:${port} ready`, 90_000, async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok || undefined,
        { describe: () => describeProcesses(started) });
    };
    started.push(spawnCli('xray-local', 'xray-local', { XRAY_LOCAL_PORT: String(xrayPort) }, cli));
    started.push(spawnCli('receiver', 'receiver', { KAFKA_BROKERS, ...topics, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1' }, cli));
    await ready(xrayPort);
    await ready(receiverPort); // the receiver creates the span topic before it is ready; the translator subscribes to it
    started.push(spawnCli('translator', 'translator', {
      KAFKA_BROKERS, ...topics, TRANSLATOR_GROUP_ID: run, TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1',
      XRAY_ENDPOINT: `http://127.0.0.1:${xrayPort}`, EPOCH_STORE: 'memory',
    }, cli));
    await ready(opsPort);

    const demo = await runDemo({ target: `http://127.0.0.1:${receiverPort}`, requests: 20, rate: 50, seed: 7 });
    assert.ok(demo.spansAccepted > 0 && demo.spansAccepted === demo.spansSent, JSON.stringify(demo));
    await waitFor('every span translated', 60_000, async () =>
      (await scrapeMetric(`http://127.0.0.1:${opsPort}/metrics`, 'meshray_translator_spans_translated_total')) >= demo.spansAccepted || undefined,
    { describe: () => describeProcesses(started) });
    assert.ok((await scrapeMetric(`http://127.0.0.1:${xrayPort}/metrics`, 'meshray_xray_local_segments_accepted_total')) > 0, 'xray-local stored documents');

    const page = await fetch(`http://127.0.0.1:${xrayPort}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /\/console\/app\.js/);
    assert.equal((await fetch(`http://127.0.0.1:${xrayPort}/console/app.js`)).status, 200, 'the bundled console');
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
});
