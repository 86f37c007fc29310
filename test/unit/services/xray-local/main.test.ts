import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../../services/xray-local/main.ts';
import { isLoopbackHost } from '../../../../services/xray-local/config.ts';
import { selfSigned } from '../../../support/self-signed.ts';

test('xray-local listens on loopback unless XRAY_LOCAL_HOST says otherwise', async (t) => {
  const running = await main({ LOG_LEVEL: 'silent', XRAY_LOCAL_PORT: '0' });
  t.after(() => running.close());
  assert.equal((running.app.server.address() as AddressInfo).address, '127.0.0.1');
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('10.0.0.7'), false);
});

test('XRAY_LOCAL_TLS_CERT/KEY: xray-local serves HTTPS with that certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-xl-tls-'));
  const cert = selfSigned('xray-local');
  writeFileSync(join(dir, 'c.pem'), cert.cert);
  writeFileSync(join(dir, 'k.pem'), cert.key);
  const running = await main({ LOG_LEVEL: 'silent', XRAY_LOCAL_PORT: '0', XRAY_LOCAL_TLS_CERT: join(dir, 'c.pem'), XRAY_LOCAL_TLS_KEY: join(dir, 'k.pem') });
  t.after(() => running.close());
  const { port } = running.app.server.address() as AddressInfo;
  const answer = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health/ready', ca: cert.cert, servername: 'localhost' }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.once('error', reject);
    req.end();
  });
  assert.deepEqual(answer, { status: 200, fingerprint: cert.fingerprint256 });
});
