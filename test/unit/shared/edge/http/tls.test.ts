import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ReloadingFiles } from '../../../../../shared/edge/http/reloading-files.ts';
import { ReloadingTls } from '../../../../../shared/edge/http/tls.ts';
import { isMeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { selfSigned } from '../../../../support/self-signed.ts';

const filesOf = (dir: string) => ({
  certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key'), certVariable: 'RECEIVER_TLS_CERT', keyVariable: 'RECEIVER_TLS_KEY',
});

/** The certificate fingerprint a new TLS connection to `port` is served. */
const servedFingerprint = (port: number): Promise<string> => new Promise((resolve, reject) => {
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
    const fp = socket.getPeerCertificate().fingerprint256;
    socket.end();
    resolve(fp);
  });
  socket.once('error', reject);
});

test('a rotated certificate is served to new connections; a half-written pair keeps the old one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-tls-'));
  const files = filesOf(dir);
  const first = selfSigned('first');
  const second = selfSigned('second');
  writeFileSync(files.certPath, first.cert);
  writeFileSync(files.keyPath, first.key);
  const errors: unknown[] = [];
  let reloads = 0;
  const tls = new ReloadingTls(files, (e) => errors.push(e), () => { reloads += 1; });
  const server = createServer({ cert: tls.pair.cert, key: tls.pair.key }, (_req, res) => res.end('ok'));
  tls.watch(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  assert.equal(await servedFingerprint(port), first.fingerprint256);
  assert.equal(tls.check(), false, 'unchanged files: nothing to do');

  // The certificate lands before its key: that pair does not match, the old certificate stays.
  writeFileSync(files.certPath, second.cert);
  assert.equal(tls.check(), false);
  assert.equal(errors.length, 1);
  assert.equal(await servedFingerprint(port), first.fingerprint256);

  writeFileSync(files.keyPath, second.key);
  assert.equal(tls.check(), true);
  assert.equal(reloads, 1);
  assert.equal(await servedFingerprint(port), second.fingerprint256);
});

test('a missing or mismatched pair at startup is CONFIG_INVALID naming both variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-tls-'));
  const files = filesOf(dir);
  assert.throws(() => new ReloadingTls(files), (e: unknown) => isMeshrayError(e) && e.code === 'CONFIG_INVALID'
    && /RECEIVER_TLS_CERT=.*tls\.crt and RECEIVER_TLS_KEY=.*tls\.key/.test(e.message));
  writeFileSync(files.certPath, selfSigned('a').cert);
  writeFileSync(files.keyPath, selfSigned('b').key);
  assert.throws(() => new ReloadingTls(files), (e: unknown) => isMeshrayError(e) && e.code === 'CONFIG_INVALID');
});

test('ReloadingFiles polls on its interval (mock timers) and applies a change once', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const dir = mkdtempSync(join(tmpdir(), 'meshray-reload-'));
  const path = join(dir, 'tokens');
  writeFileSync(path, 'a\n');
  const seen: string[] = [];
  const files = new ReloadingFiles({ paths: [path], parse: ([c]) => c!.toString().trim(), onChange: (v) => seen.push(v) });
  assert.equal(files.value, 'a');
  files.start(1000);
  writeFileSync(path, 'b\n');
  t.mock.timers.tick(999);
  assert.deepEqual(seen, [], 'not before the interval');
  t.mock.timers.tick(1);
  assert.deepEqual(seen, ['b']);
  t.mock.timers.tick(5000);
  assert.deepEqual(seen, ['b'], 'unchanged contents are not applied again');
  files.stop();
  writeFileSync(path, 'c\n');
  t.mock.timers.tick(5000);
  assert.deepEqual(seen, ['b'], 'stopped');
  assert.equal(files.value, 'b');
});
