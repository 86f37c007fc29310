import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { isMeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { buildApp } from '../../../../../services/receiver/app.ts';
import { BearerTokens, parseTokenFile, reloadingTokenFile } from '../../../../../services/receiver/receive/authorize.ts';
import { RecordingPublisher, fixture } from '../helpers.ts';

test('BearerTokens accepts exactly `Bearer <token>` for a listed token', () => {
  const tokens = new BearerTokens(['s3cret', 'other-token']);
  assert.equal(tokens.accepts('Bearer s3cret'), true);
  assert.equal(tokens.accepts('bearer other-token'), true, 'the scheme is case-insensitive (RFC 7235)');
  assert.equal(tokens.accepts('Bearer  s3cret '), true);
  for (const refused of [undefined, '', 'Bearer', 'Bearer ', 's3cret', 'Basic s3cret', 'Bearer s3cre', 'Bearer s3cret1', 'Bearer S3CRET', 'Bearer s3cret x']) {
    assert.equal(tokens.accepts(refused), false, String(refused));
  }
  assert.equal(new BearerTokens([]).accepts('Bearer '), false);
});

test('a token file: one token per line, blank lines and # comments ignored', () => {
  assert.deepEqual(parseTokenFile('# senders\nabc\r\n\n  def  \n#x\n'), ['abc', 'def']);
});

function appWith(tokens: BearerTokens | (() => BearerTokens)) {
  const publisher = new RecordingPublisher();
  const registry = createRegistry();
  const app = buildApp({
    config: { MAX_BODY_BYTES: 1024 * 1024, MAX_SPANS_PER_REQUEST: 1000 },
    publisher, logger: silentLogger(), registry, isReady: () => true,
    tokens: typeof tokens === 'function' ? tokens : () => tokens,
  });
  const refused = async () => (await registry.getSingleMetric('meshray_receiver_spans_refused_total')!.get()).values
    .filter((v) => v.labels.reason === 'unauthorized').reduce((n, v) => n + v.value, 0);
  return { app, publisher, refused };
}

test('without a valid token a span request is 401 (counted, nothing published); with one it is 202; probes and /metrics stay open', async (t) => {
  const { app, publisher, refused } = appWith(new BearerTokens(['s3cret']));
  t.after(() => app.close());
  const body = fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json');
  const post = (authorization?: string) => app.inject({
    method: 'POST', url: '/api/v2/spans', payload: body,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  });
  const none = await post();
  assert.equal(none.statusCode, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="meshray"');
  assert.equal(none.json().error, 'UNAUTHORIZED');
  const wrong = await post('Bearer nope');
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="meshray", error="invalid_token"');
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/spans', payload: '[]', headers: { 'content-type': 'application/json' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode, 401, 'unknown paths tell a stranger nothing');
  assert.equal(await refused(), 4);
  assert.equal(publisher.spans.length, 0);

  assert.equal((await post('Bearer s3cret')).statusCode, 202);
  assert.ok(publisher.spans.length > 0);
  for (const url of ['/health/live', '/health/ready', '/metrics', '/metrics/', '/health/ready/']) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  assert.equal(await refused(), 4);
});

test('the 401 is sent before the body is read: a sender that announced 1 MB and sent 10 bytes gets it, and the connection closes', async (t) => {
  const { app } = appWith(new BearerTokens(['s3cret']));
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  socket.write('POST /api/v2/spans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[{"traceId"');
  let answer = '';
  socket.setEncoding('utf8').on('data', (d: string) => { answer += d; });
  await new Promise<void>((resolve, reject) => { socket.once('close', () => resolve()); socket.once('error', reject); });
  assert.match(answer, /^HTTP\/1\.1 401 /);
  assert.match(answer, /\r\nconnection: close\r\n/i);
});

test('RECEIVER_AUTH_TOKENS_FILE: a changed file swaps the tokens; an emptied file keeps the old ones; a missing file is CONFIG_INVALID', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-tokens-'));
  const path = join(dir, 'tokens');
  assert.throws(() => reloadingTokenFile(path, () => undefined, () => undefined),
    (e: unknown) => isMeshrayError(e) && e.code === 'CONFIG_INVALID' && e.message.includes('RECEIVER_AUTH_TOKENS_FILE'));
  writeFileSync(path, 'first\n');
  const errors: unknown[] = [];
  const counts: number[] = [];
  const file = reloadingTokenFile(path, (e) => errors.push(e), (n) => counts.push(n));
  const { app } = appWith(() => file.value);
  t.after(() => app.close());
  const status = async (token: string) => (await app.inject({
    method: 'POST', url: '/api/v2/spans', payload: '[]', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  })).statusCode;
  assert.equal(await status('first'), 202);
  writeFileSync(path, '# rotated\nsecond\nthird\n');
  assert.equal(file.check(), true);
  assert.deepEqual(counts, [2]);
  assert.equal(await status('first'), 401);
  assert.equal(await status('third'), 202);
  writeFileSync(path, '\n');
  assert.equal(file.check(), false);
  assert.equal(errors.length, 1);
  assert.equal(await status('second'), 202);
  assert.equal(file.check(), false);
  assert.equal(errors.length, 1, 'an emptied file left so is reported once, not at every check');
  rmSync(path);
  assert.equal(file.check(), false);
  assert.equal(file.check(), false);
  assert.equal(errors.length, 2, 'a new failure (the file gone) is reported, once');
  writeFileSync(path, 'fourth\n');
  assert.equal(file.check(), true);
  writeFileSync(path, '\n');
  assert.equal(file.check(), false);
  assert.equal(errors.length, 3, 'after a good file, emptying it again is reported again');
});
