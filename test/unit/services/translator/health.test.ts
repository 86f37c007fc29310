import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsumerHealth } from '../../../../services/translator/health.ts';

test('live fails when lagging without a commit for the stall timeout, or after a crash; ready once joined', () => {
  let now = 0;
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now });
  assert.equal(h.ready(), 'not a member of the consumer group');
  h.joined();
  assert.equal(h.ready(), undefined);
  now = 5000;
  assert.equal(h.live(), undefined, 'idle without lag is healthy');
  h.lag(0, 10);
  now = 5500;
  assert.equal(h.live(), undefined);
  now = 6100;
  assert.match(h.live() ?? '', /stalled/);
  h.committed();
  h.lag(0, 0);
  assert.equal(h.live(), undefined);
  h.crashed('boom');
  assert.match(h.live() ?? '', /crashed/);
});
