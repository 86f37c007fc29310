// AckTickets on mock timers: the ACK_TIMEOUT deadlines fire in order from one timer, and a ticket settles once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshrayError } from '../../../../../shared/edge/errors/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { AckTickets } from '../../../../../services/receiver/publish/ack-tickets.ts';

const outcome = (p: Promise<readonly Span[]>): Promise<string> =>
  p.then((refused) => `resolved:${refused.length}`, (e: unknown) => (isMeshrayError(e) ? `rejected:${e.code}` : 'rejected:?'));

test('each ticket is rejected with ACK_TIMEOUT at its own deadline, oldest first, and only once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const tickets = new AckTickets({ ackTimeoutMs: 1000, clockMs: Date.now });
  const first = tickets.open(2, []);
  t.mock.timers.tick(400);
  const second = tickets.open(1, []);
  const settled: string[] = [];
  void outcome(first.promise).then((o) => settled.push(`first ${o}`));
  void outcome(second.promise).then((o) => settled.push(`second ${o}`));
  t.mock.timers.tick(599); // 999 ms: neither deadline passed
  await Promise.resolve();
  assert.deepEqual(settled, []);
  t.mock.timers.tick(1); // 1,000 ms: the first's deadline
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(settled, ['first rejected:ACK_TIMEOUT']);
  assert.equal(first.ticket.settled, true);
  t.mock.timers.tick(400); // 1,400 ms: the second's
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(settled, ['first rejected:ACK_TIMEOUT', 'second rejected:ACK_TIMEOUT']);
  tickets.settle(first.ticket); // an acknowledgement after the timeout changes nothing
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled.length, 2);
});

test('an acknowledged ticket resolves with its spans refused alone, and its deadline no longer fires', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const tickets = new AckTickets({ ackTimeoutMs: 1000, clockMs: Date.now });
  const tooLarge = { traceId: 'a'.repeat(16), id: 'b'.repeat(16) } as Span;
  const acked = tickets.open(1, [tooLarge]);
  const later = tickets.open(1, []);
  tickets.settle(acked.ticket);
  assert.equal(await outcome(acked.promise), 'resolved:1');
  t.mock.timers.tick(1000);
  assert.equal(await outcome(later.promise), 'rejected:ACK_TIMEOUT');
});

test('stop() clears the timer: an open ticket is then settled only by its caller', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const tickets = new AckTickets({ ackTimeoutMs: 1000, clockMs: Date.now });
  const open = tickets.open(1, []);
  tickets.stop();
  t.mock.timers.tick(5000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(open.ticket.settled, false);
  tickets.settle(open.ticket);
  assert.equal(await outcome(open.promise), 'resolved:0');
});
