import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { assertPortsFree, listenError, listenOn } from '../../../../../shared/edge/http/listen.ts';

const target = { port: 9411, host: '0.0.0.0', portVariable: 'RECEIVER_PORT', hostVariable: 'RECEIVER_HOST' };
const nodeError = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

test('a busy port becomes one PORT_UNAVAILABLE line naming the variable and the port', () => {
  const e = listenError(nodeError('EADDRINUSE'), target);
  assert.equal(e?.code, 'PORT_UNAVAILABLE');
  assert.equal(e?.retryable, false);
  assert.equal(e?.message, 'RECEIVER_PORT=9411: port 9411 on 0.0.0.0 is already in use; set RECEIVER_PORT to a free port');
});

test('a privileged port and a foreign address say what to set', () => {
  assert.match(listenError(nodeError('EACCES'), { ...target, port: 80 })?.message ?? '', /^RECEIVER_PORT=80: .*set RECEIVER_PORT to a port ≥ 1024$/);
  assert.match(listenError(nodeError('EADDRNOTAVAIL'), { ...target, host: '10.9.9.9' })?.message ?? '', /set RECEIVER_HOST/);
});

test('other errors are not port problems', () => {
  assert.equal(listenError(new Error('boom'), target), undefined);
  assert.equal(listenError(undefined, target), undefined);
});

test('assertPortsFree names every port that cannot be bound, and lets the free ones go (checked twice, free both times)', async () => {
  const { createServer } = await import('node:net');
  const held = createServer();
  await new Promise<void>((resolve) => { held.listen({ port: 0, host: '127.0.0.1' }, resolve); });
  const busy = (held.address() as { port: number }).port;
  const spare = createServer();
  await new Promise<void>((resolve) => { spare.listen({ port: 0, host: '127.0.0.1' }, resolve); });
  const free = (spare.address() as { port: number }).port;
  await new Promise<void>((resolve) => { spare.close(() => resolve()); });
  try {
    await assert.doesNotReject(assertPortsFree([{ port: free, host: '127.0.0.1', portVariable: 'A_PORT' }, { port: 0, host: '127.0.0.1', portVariable: 'B_PORT' }]));
    await assert.rejects(
      assertPortsFree([{ port: free, host: '127.0.0.1', portVariable: 'A_PORT' }, { port: busy, host: '127.0.0.1', portVariable: 'B_PORT' }]),
      (e: unknown) => (e as { code?: string }).code === 'PORT_UNAVAILABLE' && (e as Error).message === `B_PORT=${busy}: port ${busy} on 127.0.0.1 is already in use; set B_PORT to a free port`,
    );
  } finally {
    await new Promise<void>((resolve) => { held.close(() => resolve()); });
  }
});

test('listenOn answers the address bound: a server on every interface says 0.0.0.0, not the first address fastify lists (found by the newcomer trial)', async () => {
  for (const [host, expected] of [['0.0.0.0', /^http:\/\/0\.0\.0\.0:\d+$/], ['127.0.0.1', /^http:\/\/127\.0\.0\.1:\d+$/]] as const) {
    const app = Fastify();
    try {
      const url = await listenOn(app, { port: 0, host, portVariable: 'RECEIVER_PORT' });
      assert.match(url, expected);
      assert.equal(Number(new URL(url).port), (app.server.address() as { port: number }).port);
    } finally {
      await app.close();
    }
  }
});
