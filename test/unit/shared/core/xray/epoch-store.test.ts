import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';

const A = '1-65e1c3f0-000000000000000000000001';
const B = '1-65e1c3f1-000000000000000000000002';

test('first writer wins', () => {
  const store = new MemoryEpochStore();
  assert.equal(store.remember('k', A, 0), A);
  assert.equal(store.remember('k', B, 1), A);
  assert.equal(store.recall('k', 2), A);
});

test('sliding TTL: every hit extends life; an idle entry expires after ttlMs', () => {
  const store = new MemoryEpochStore({ ttlMs: 1000 });
  store.remember('k', A, 0);
  assert.equal(store.recall('k', 999), A); // extends to 1999
  assert.equal(store.recall('k', 1998), A); // extends to 2998
  assert.equal(store.recall('k', 2997), A); // extends to 3997
  assert.equal(store.recall('k', 3997), undefined); // idle for exactly ttlMs: expired
  assert.equal(store.remember('k', B, 3998), B); // a new writer after expiry wins
});

test('expired entries are swept when new traces are remembered', () => {
  const store = new MemoryEpochStore({ ttlMs: 100 });
  store.remember('a', A, 0);
  store.remember('b', A, 50);
  store.remember('c', A, 120); // a expired at 100, b alive until 150
  assert.equal(store.size, 2);
  assert.equal(store.recall('a', 120), undefined);
  assert.equal(store.recall('b', 120), A);
});

test('bounded: the least recently used entry is evicted first', () => {
  const store = new MemoryEpochStore({ maxEntries: 2, ttlMs: 60_000 });
  store.remember('a', A, 0);
  store.remember('b', B, 1);
  assert.equal(store.recall('a', 2), A); // a is now most recent
  store.remember('c', A, 3); // evicts b
  assert.equal(store.size, 2);
  assert.equal(store.recall('b', 4), undefined);
  assert.equal(store.recall('a', 4), A);
  assert.equal(store.recall('c', 4), A);
});

test('defaults: 60 s TTL', () => {
  const store = new MemoryEpochStore();
  store.remember('k', A, 0);
  assert.equal(store.recall('k', 59_999), A);
  assert.equal(store.recall('k', 59_999 + 60_000), undefined);
});

test('adopt replaces a live value, keeps the longer life, and stores an absent or expired one', () => {
  const store = new MemoryEpochStore({ ttlMs: 100 });
  store.remember('k', A, 0);
  store.adopt('k', B, 50);
  assert.equal(store.recall('k', 60), B, 'the agreed value replaces the local one');
  store.adopt('k', A, 10); // an older clock: the entry's life (60 + 100) is not shortened
  assert.equal(store.recall('k', 150), A);
  store.adopt('gone', B, 0);
  assert.equal(store.recall('gone', 99), B);
  assert.equal(store.recall('gone', 500), undefined);
  store.adopt('gone', A, 500);
  assert.equal(store.recall('gone', 510), A, 'an expired entry is stored anew');
});
