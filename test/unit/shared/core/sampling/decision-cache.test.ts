import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionCache } from '../../../../../shared/core/sampling/decision-cache.ts';

test('a decision is remembered for its TTL, then forgotten', () => {
  const cache = new DecisionCache({ ttlMs: 1000, maxEntries: 10 });
  cache.set('a', { kept: false, policy: 'adaptive' }, 0);
  assert.deepEqual(cache.get('a', 999), { kept: false, policy: 'adaptive' });
  assert.equal(cache.get('a', 1000), undefined);
  assert.equal(cache.size, 0);
});

test('setting again restarts the TTL; past maxEntries the oldest goes first', () => {
  const cache = new DecisionCache({ ttlMs: 1000, maxEntries: 2 });
  cache.set('a', { kept: true, policy: 'error' }, 0);
  cache.set('b', { kept: true, policy: 'slow' }, 100);
  cache.set('a', { kept: true, policy: 'error' }, 500);
  assert.equal(cache.get('b', 1100), undefined);
  assert.deepEqual(cache.get('a', 1100), { kept: true, policy: 'error' });
  cache.set('c', { kept: false, policy: 'adaptive' }, 1200);
  cache.set('d', { kept: false, policy: 'adaptive' }, 1200);
  assert.equal(cache.get('a', 1200), undefined);
  assert.equal(cache.size, 2);
});
