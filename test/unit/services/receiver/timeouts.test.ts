import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { silentLogger } from '../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../shared/edge/metrics/registry.ts';
import { buildApp, serverOptions, type ReceiverTimeouts } from '../../../../services/receiver/app.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { RecordingPublisher } from './helpers.ts';

const appWith = (timeouts: ReceiverTimeouts) => buildApp({
  config: { MAX_BODY_BYTES: 1024, MAX_SPANS_PER_REQUEST: 10 }, publisher: new RecordingPublisher(), logger: silentLogger(),
  registry: createRegistry(), isReady: () => true, timeouts,
});

test('RECEIVER_*_TIMEOUT land on the node server; the timeouts are checked at a quarter of the shorter one (at most every second)', async (t) => {
  const app = appWith({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000, connectionMs: 0 });
  t.after(() => app.close());
  const server = app.server;
  assert.deepEqual([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.timeout], [10_000, 30_000, 72_000, 0]);
  assert.deepEqual(serverOptions({ headersMs: 400, requestMs: 1000, keepAliveMs: 5, connectionMs: 7 }, undefined), {
    connectionTimeout: 7, keepAliveTimeout: 5, requestTimeout: 1000, http: { headersTimeout: 400, requestTimeout: 1000, connectionsCheckingInterval: 100 },
  });
  const tls = { cert: Buffer.from('c'), key: Buffer.from('k') };
  assert.equal((serverOptions({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 1, connectionMs: 0 }, tls).https as { connectionsCheckingInterval: number }).connectionsCheckingInterval, 1000);
});

const closed = (s: Socket): Promise<string> => new Promise((resolve) => {
  let data = '';
  s.setEncoding('utf8').on('data', (d: string) => { data += d; });
  s.once('close', () => resolve(data));
});

// (The keep-alive timeout is node's own: it closes an idle connection keepAliveTimeout + 1 s later, too
// slow for a unit test; its value is checked above.)
test('a connection that never sends a byte is closed after RECEIVER_CONNECTION_TIMEOUT, while another is answered', { timeout: 30_000 }, async (t) => {
  // 500 ms, not less: the answered connection must send its request within it even on a loaded machine (an
  // event loop late by more than the timeout closed it first: 'fetch failed' with 80 ms under a parallel suite)
  const app = appWith({ headersMs: 20_000, requestMs: 30_000, keepAliveMs: 5_000, connectionMs: 500 });
  // fetch keeps its connection alive: close every connection, or app.close() waits on it (seen hanging under load)
  t.after(() => { app.server.closeAllConnections(); return app.close(); });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const silent = connect(port, '127.0.0.1');
  const silentClosed = closed(silent);
  const res = await fetch(`http://127.0.0.1:${port}/health/live`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  // A deadline, not a synchronisation: without the connection timeout node would hold the socket until the 20 s headers timeout.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const tooLate = new Promise<never>((_, reject) => { deadline = setTimeout(() => reject(new Error('the silent connection was not closed within 5 s')), 5000); });
  try {
    assert.equal(await Promise.race([silentClosed, tooLate]), '', 'never sent a byte: closed without an answer');
  } finally {
    clearTimeout(deadline);
    silent.destroy(); // lets app.close() finish when the assertion failed
  }
});

test('past RECEIVER_MAX_CONNECTIONS a new connection is closed on arrival and counted; the open ones are still served', { timeout: 30_000 }, async (t) => {
  const registry = createRegistry();
  const app = buildApp({
    config: { MAX_BODY_BYTES: 1024, MAX_SPANS_PER_REQUEST: 10 }, publisher: new RecordingPublisher(), logger: silentLogger(),
    registry, isReady: () => true, timeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, connectionMs: 0 }, maxConnections: 3,
  });
  const sockets: Socket[] = [];
  t.after(() => { for (const s of sockets) s.destroy(); app.server.closeAllConnections(); return app.close(); });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const connections = (): Promise<number> => new Promise((resolve) => { app.server.getConnections((e, n) => resolve(e ? -1 : n)); });
  const open = (): Promise<Socket> => new Promise((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); sockets.push(s); });
  const held = [await open(), await open(), await open()];
  while ((await connections()) < 3) await new Promise((resolve) => setImmediate(resolve)); // until the server accepted all three
  const extra = await open();
  assert.equal(await closed(extra), '', 'the fourth connection is closed without an answer');
  const dropped = (await registry.getSingleMetric('meshray_receiver_connections_dropped_total')?.get())?.values[0]?.value;
  assert.equal(dropped, 1);
  const first = held[0] as Socket;
  const answer = closed(first);
  first.end('GET /health/live HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 200 /, 'a held connection is served');
});

test('a request arriving on a kept-alive connection while the receiver closes is served (fastify answered its own 503: no Retry-After, not counted)', { timeout: 30_000 }, async (t) => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  const publisher = new RecordingPublisher();
  let publishing = 0;
  const gated = Object.assign(Object.create(publisher) as RecordingPublisher, {
    publish: async (spans: readonly Span[]) => { publishing += 1; await held; return publisher.publish(spans); }, // Kafka acknowledges slowly
  });
  const app = buildApp({
    config: { MAX_BODY_BYTES: 64 * 1024, MAX_SPANS_PER_REQUEST: 10 }, publisher: gated, logger: silentLogger(),
    registry: createRegistry(), isReady: () => true, timeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, connectionMs: 0 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const socket = await new Promise<Socket>((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); });
  t.after(() => { socket.destroy(); });
  const body = (id: string) => JSON.stringify([{ traceId: '463ac35c9f6413ad48485a3953bb6124', id, timestamp: 1_700_000_000_000_000, duration: 5 }]);
  const post = (id: string, connection: string) => `POST /api/v2/spans HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\nConnection: ${connection}\r\nContent-Length: ${Buffer.byteLength(body(id))}\r\n\r\n${body(id)}`;
  const answered = closed(socket);
  socket.write(post('0000000000000001', 'keep-alive'));
  while (publishing === 0) await new Promise((resolve) => setImmediate(resolve)); // the first request waits for Kafka
  const closing = app.close(); // SIGTERM while the first request waits for Kafka: stop accepting, finish what is in flight
  socket.write(post('0000000000000002', 'close')); // the next request on that connection (pipelined behind the first)
  await new Promise((resolve) => setImmediate(resolve));
  release();
  const received = await answered;
  await closing;
  const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['202', '202'], received);
  assert.deepEqual(publisher.spans.map((s) => s.id), ['0000000000000001', '0000000000000002']);
});
