// WakeSet on mock timers: a wait ends at wakeAll() or at its own timeout, whichever is first, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WakeSet } from '../../../../../services/receiver/publish/wake-set.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('wakeAll() ends every pending wait (clearing a timed one\'s timer), and not a wait started after it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const clearTimeoutCalls = t.mock.method(globalThis, 'clearTimeout');
  const wakes = new WakeSet();
  const ended: string[] = [];
  void wakes.wait().then(() => ended.push('idle'));
  void wakes.wait(10_000).then(() => ended.push('timed'));
  wakes.wakeAll();
  assert.equal(clearTimeoutCalls.mock.callCount(), 1, 'the timed wait\'s timer is cleared: an idle process holds no handle');
  void wakes.wait().then(() => ended.push('later'));
  await flush();
  assert.deepEqual(ended, ['idle', 'timed']);
  wakes.wakeAll();
  await flush();
  assert.deepEqual(ended, ['idle', 'timed', 'later']);
});

test('a timed wait ends at its timeout without wakeAll()', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const wakes = new WakeSet();
  let ended = false;
  void wakes.wait(50).then(() => { ended = true; });
  t.mock.timers.tick(49);
  await flush();
  assert.equal(ended, false);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(ended, true);
});
