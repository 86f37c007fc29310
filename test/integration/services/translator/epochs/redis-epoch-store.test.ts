import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FAIL_FAST_REDIS_OPTIONS, RedisEpochStore } from '../../../../../services/translator/epochs/redis-epoch-store.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function connected(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { ...FAIL_FAST_REDIS_OPTIONS });
  await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

test('RedisEpochStore (one EVALSHA per batch): first writer wins, the TTL is set and slides, one value per proposal', async () => {
  const redis = await connected();
  const prefix = `it-epoch-store-${randomUUID().slice(0, 8)}:`;
  const keys = ['a', 'b', 'c'].map((k) => prefix + k);
  try {
    const store = new RedisEpochStore({ redis, ttlMs: 10_000, keyPrefix: prefix });
    assert.deepEqual(await store.agree([]), new Map());
    const first = await store.agree([{ traceKey: 'a', xrayTraceId: '1-00000001-a' }, { traceKey: 'b', xrayTraceId: '1-00000001-b' }]);
    assert.deepEqual(first, new Map([['a', '1-00000001-a'], ['b', '1-00000001-b']]));
    // another instance proposes other ids: it gets the stored ones for a, its own for the new c
    await redis.pexpire(keys[0]!, 2_000);
    const second = await new RedisEpochStore({ redis, ttlMs: 10_000, keyPrefix: prefix })
      .agree([{ traceKey: 'a', xrayTraceId: '1-00000002-a' }, { traceKey: 'c', xrayTraceId: '1-00000002-c' }]);
    assert.deepEqual(second, new Map([['a', '1-00000001-a'], ['c', '1-00000002-c']]));
    assert.equal(await redis.get(keys[0]!), '1-00000001-a');
    assert.ok((await redis.pttl(keys[0]!)) > 2_000, 'the TTL of a key seen again slid back to ttlMs');
    assert.ok((await redis.pttl(keys[2]!)) > 0, 'a stored proposal has a TTL');
  } finally {
    await redis.del(...keys);
    redis.disconnect();
  }
});

test('RedisEpochStore: Redis unreachable is EPOCH_STORE_UNAVAILABLE', async () => {
  const redis = new Redis('redis://127.0.0.1:1', { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true, retryStrategy: () => null });
  try {
    const store = new RedisEpochStore({ redis, ttlMs: 10_000 });
    await assert.rejects(store.agree([{ traceKey: 'a', xrayTraceId: '1-00000001-a' }]), (err: Error & { code?: string }) =>
      // its connection status, not ioredis's "enableOfflineQueue" wording (a newcomer's trial)
      err.code === 'EPOCH_STORE_UNAVAILABLE' && /^Redis at 127\.0\.0\.1:1 is not connected \(\w+\): this translator's local epoch cache answers until it is back$/.test(err.message));
  } finally {
    redis.disconnect();
  }
});

test('RedisEpochStore on a Redis whose script cache was flushed (a restart, SCRIPT FLUSH, a failover to a replica): EVALSHA answers NOSCRIPT and the script is sent whole', async () => {
  const redis = await connected();
  const prefix = `it-epoch-noscript-${randomUUID().slice(0, 8)}:`;
  try {
    await redis.script('FLUSH');
    const store = new RedisEpochStore({ redis, ttlMs: 10_000, keyPrefix: prefix });
    assert.deepEqual(await store.agree([{ traceKey: 'a', xrayTraceId: '1-00000001-a' }]), new Map([['a', '1-00000001-a']]));
    assert.equal(await redis.get(`${prefix}a`), '1-00000001-a');
  } finally {
    await redis.del(`${prefix}a`);
    redis.disconnect();
  }
});
