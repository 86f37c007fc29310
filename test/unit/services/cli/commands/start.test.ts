import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { main } from '../../../../../services/all-in-one/index.ts';
import { startBanner } from '../../../../../services/cli/commands/start.ts';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';

test('meshray start\'s banner names the ports it bound, the console, where it exports, how to send traffic and how to stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-banner-'));
  const file = join(dir, 'dead.ndjson');
  const app = await main({ RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: file }, silentLogger());
  try {
    const receiverPort = (app.receiver.server.address() as AddressInfo).port;
    const xrayPort = (app.xrayLocal?.server.address() as AddressInfo).port;
    assert.equal(startBanner(app, app.config), [
      'meshray start is up',
      `  receiver     http://127.0.0.1:${receiverPort}/api/v2/spans   (Zipkin v2 JSON or proto, v1 at /api/v1/spans; /health/ready, /metrics)`,
      `  console      http://127.0.0.1:${xrayPort}/   (traces and service map; the X-Ray API for the AWS SDK and CLI)`,
      `  export       the embedded xray-local (http://127.0.0.1:${xrayPort}/)`,
      `send traffic:  npx meshray demo --target http://127.0.0.1:${receiverPort}`,
      `Ctrl-C stops it; spans not exported by then are written to ${file} (meshray send FILE sends them again).`,
      '',
    ].join('\n'));
  } finally {
    await app.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the banner gives the receiver\'s scheme and host as configured, and says when a token is needed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-banner-'));
  const { selfSigned } = await import('../../../../support/self-signed.ts');
  const { writeFileSync } = await import('node:fs');
  const pair = selfSigned();
  writeFileSync(join(dir, 'cert.pem'), pair.cert);
  writeFileSync(join(dir, 'key.pem'), pair.key);
  const app = await main({
    RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.2', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: join(dir, 'dead.ndjson'),
    RECEIVER_TLS_CERT: join(dir, 'cert.pem'), RECEIVER_TLS_KEY: join(dir, 'key.pem'), RECEIVER_AUTH_TOKENS: 'secret-token',
  }, silentLogger());
  try {
    const receiverPort = (app.receiver.server.address() as AddressInfo).port;
    const banner = startBanner(app, app.config);
    assert.match(banner, new RegExp(`^  receiver     https://127\\.0\\.0\\.2:${receiverPort}/api/v2/spans `, 'm'));
    assert.match(banner, new RegExp(`^send traffic:  npx meshray demo --target https://127\\.0\\.0\\.2:${receiverPort} --token TOKEN \\(RECEIVER_AUTH_TOKENS is set\\)$`, 'm'));
  } finally {
    await app.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with EXPORT_PROTOCOL=otlp the banner says the spans go as OTLP to /v1/traces (it read as PutTraceSegments)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-banner-'));
  const app = await main({ RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', DEAD_LETTER_FILE: join(dir, 'dead.ndjson'), EXPORT_PROTOCOL: 'otlp' }, silentLogger());
  try {
    const xrayPort = (app.xrayLocal?.server.address() as AddressInfo).port;
    assert.match(startBanner(app, app.config), new RegExp(`^  export       the embedded xray-local \\(http://127\\.0\\.0\\.1:${xrayPort}/\\), as OTLP spans to /v1/traces \\(EXPORT_PROTOCOL=otlp\\)$`, 'm'));
  } finally {
    await app.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
});
