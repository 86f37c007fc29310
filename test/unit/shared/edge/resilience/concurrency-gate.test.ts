import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyGate } from '../../../../../shared/edge/resilience/concurrency-gate.ts';
import { flush } from '../../../../support/mock-time.ts';

/** A task the test finishes by hand. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

test('never more than `limit` tasks run at once; the oldest waiter goes next', async () => {
  const gate = new ConcurrencyGate(2);
  const tasks = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  const runs = tasks.map((d, i) => gate.run(async () => { started.push(i); await d.promise; return i; }));
  await flush();
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.active, 2);
  assert.equal(gate.waiting, 2);
  tasks[1]?.resolve();
  await flush();
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(gate.active, 2);
  tasks[0]?.resolve();
  tasks[2]?.resolve();
  tasks[3]?.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(gate.active, 0);
});

test('a failing task gives its permit back and its error to the caller', async () => {
  const gate = new ConcurrencyGate(1);
  await assert.rejects(gate.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(gate.active, 0);
  assert.equal(await gate.run(async () => 7), 7);
});

test('acquire/release: a second release of the same permit does nothing', async () => {
  const gate = new ConcurrencyGate(1);
  const release = await gate.acquire();
  let second = false;
  const next = gate.acquire().then((r) => { second = true; return r; });
  await flush();
  assert.equal(second, false);
  release();
  release();
  const r2 = await next;
  assert.equal(gate.active, 1, 'the permit passed on, not doubled');
  r2();
  assert.equal(gate.active, 0);
});

test('whenIdle resolves once nothing holds or waits for a permit; limits below 1 mean 1', async () => {
  const gate = new ConcurrencyGate(0);
  await gate.whenIdle();
  const a = deferred();
  const b = deferred();
  const runs = [gate.run(() => a.promise), gate.run(() => b.promise)];
  let idle = false;
  const idled = gate.whenIdle().then(() => { idle = true; });
  await flush();
  assert.equal(gate.active, 1);
  a.resolve();
  await flush();
  assert.equal(idle, false, 'b still runs');
  b.resolve();
  await Promise.all(runs);
  await idled;
  assert.equal(idle, true);
});
