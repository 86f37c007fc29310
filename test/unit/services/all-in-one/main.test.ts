import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { main } from '../../../../services/all-in-one/main.ts';
import { isMeshrayError } from '../../../../shared/edge/errors/index.ts';
import { silentLogger } from '../../../../shared/edge/log/index.ts';

async function listening(wantedPort?: number): Promise<Server & { port: number }> {
  const server = createServer();
  server.listen({ port: wantedPort ?? 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address ? address.port : 0 });
}
const closed = (server: Server): Promise<void> => new Promise((resolve) => { server.close(() => resolve()); });

test('meshray start with its receiver port in use fails with the one PORT_UNAVAILABLE line, and leaves nothing listening', async () => {
  const busy = await listening();
  const spare = await listening();
  const xrayLocalPort = spare.port;
  await closed(spare);
  try {
    await assert.rejects(
      main({ RECEIVER_PORT: String(busy.port), RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: String(xrayLocalPort) }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'PORT_UNAVAILABLE'
        && e.message === `RECEIVER_PORT=${busy.port}: port ${busy.port} on 127.0.0.1 is already in use; set RECEIVER_PORT to a free port`,
    );
    const again = await listening(xrayLocalPort); // the embedded xray-local let its port go
    await closed(again);
  } finally {
    await closed(busy);
  }
});

test('meshray start with the embedded xray-local\'s port in use names XRAY_LOCAL_PORT', async () => {
  const busy = await listening();
  try {
    await assert.rejects(
      main({ XRAY_LOCAL_PORT: String(busy.port), RECEIVER_PORT: '0' }, silentLogger()),
      (e: unknown) => isMeshrayError(e) && e.code === 'PORT_UNAVAILABLE' && e.message.startsWith(`XRAY_LOCAL_PORT=${busy.port}: port ${busy.port} on 127.0.0.1 is already in use`),
    );
  } finally {
    await closed(busy);
  }
});
