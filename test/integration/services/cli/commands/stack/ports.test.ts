/** In the integration tier: pickPort probes ports on every interface, as `meshray stack` does (unit tests bind 127.0.0.1 only). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { pickPort, portIsFree } from '../../../../../../services/cli/commands/stack/ports.ts';

test('pickPort: a busy preferred port moves to another, and the note names what holds it', async () => {
  const holder = createServer();
  holder.listen({ host: '127.0.0.1', port: 0, exclusive: true });
  await once(holder, 'listening');
  const busy = (holder.address() as AddressInfo).port;
  try {
    assert.equal(await portIsFree(busy), false);
    const moved: string[] = [];
    const taken = new Set<number>();
    const port = await pickPort({}, 'RECEIVER_PORT', busy, taken, moved, (p) => `held by meshray start, pid ${p === busy ? 4242 : 0}`);
    assert.notEqual(port, busy);
    assert.ok(taken.has(port));
    assert.deepEqual(moved, [`port ${busy} is in use (held by meshray start, pid 4242): RECEIVER_PORT is ${port} instead; set RECEIVER_PORT to choose`]);
    const guessed: string[] = [];
    await pickPort({}, 'XRAY_LOCAL_PORT', busy, taken, guessed);
    assert.match(guessed[0] ?? '', new RegExp(`^port ${busy} is in use \\(another program\\?\\): XRAY_LOCAL_PORT is \\d+ instead`));
    // a value given in the environment is used as given
    assert.equal(await pickPort({ RECEIVER_PORT: String(busy) }, 'RECEIVER_PORT', 9411, new Set(), []), busy);
  } finally {
    holder.close();
  }
});
