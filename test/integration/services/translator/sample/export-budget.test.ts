/**
 * RedisExportBudget on the real Redis: two instances share one budget per second (Redis' clock), policy
 * documents always granted and their excess carried into the next second; with Redis unreachable an
 * instance grants from its share of the limit and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FAIL_FAST_REDIS_OPTIONS } from '../../../../../services/translator/epochs/redis-epoch-store.ts';
import { RedisExportBudget } from '../../../../../services/translator/sample/export-budget.ts';
import { waitFor } from '../../../../support/wait.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Waits for the start of a Redis second (with 600 ms of it left), so a test's calls fall in one window. */
async function startOfSecond(redis: Redis): Promise<void> {
  await waitFor('the start of a Redis second', 5_000, async () => {
    const [, micros] = await redis.time();
    return Number(micros) < 400_000;
  }, { intervalMs: 20 });
}

test('two instances share one budget per second; policy documents always pass, their excess carried over', async () => {
  const redis = new Redis(REDIS_URL, FAIL_FAST_REDIS_OPTIONS);
  redis.on('error', () => {});
  await new Promise((resolve) => redis.once('ready', resolve));
  const keyPrefix = `it-budget-${randomUUID().slice(0, 8)}:`;
  const fallbacks: Error[] = [];
  const a = new RedisExportBudget({ redis, limitPerSecond: 10, instanceId: 'a', keyPrefix, nowMs: Date.now, onFallback: (e) => fallbacks.push(e) });
  const b = new RedisExportBudget({ redis, limitPerSecond: 10, instanceId: 'b', keyPrefix, nowMs: Date.now, onFallback: (e) => fallbacks.push(e) });
  try {
    await startOfSecond(redis);
    assert.deepEqual(await a.grant({ forced: 3, wanted: [4, 4, 1] }), { granted: [true, false, true], fallback: false }, 'adaptive fills 9 of 10 (ADAPTIVE_SHARE)');
    assert.deepEqual(await b.grant({ forced: 0, wanted: [1, 1] }), { granted: [true, false], fallback: false });
    assert.equal(b.instances, 2);
    const [second] = await redis.time();
    assert.deepEqual(await a.grant({ forced: 5, wanted: [] }), { granted: [], fallback: false }, 'policy documents pass the limit');
    await waitFor('the next Redis second', 2_000, async () => Number((await redis.time())[0]) > Number(second), { intervalMs: 20 });
    // 14 used in the last second: 4 carried in, 5 left below the adaptive 9
    assert.deepEqual(await b.grant({ forced: 0, wanted: [6, 5] }), { granted: [false, true], fallback: false });
    assert.deepEqual(fallbacks, []);
  } finally {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

test('Redis unreachable: the instance grants from its local share and counts the fallback', async () => {
  const redis = new Redis('redis://127.0.0.1:1', { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  const fallbacks: Error[] = [];
  const budget = new RedisExportBudget({ redis, limitPerSecond: 10, instanceId: 'a', keyPrefix: 'unused:', nowMs: () => 0, onFallback: (e) => fallbacks.push(e) });
  try {
    assert.deepEqual(await budget.grant({ forced: 4, wanted: [5, 2] }), { granted: [true, false], fallback: true });
    assert.equal(fallbacks.length, 1);
  } finally {
    redis.disconnect();
  }
});
