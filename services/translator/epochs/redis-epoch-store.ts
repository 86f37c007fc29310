import type { Redis, RedisOptions } from 'ioredis';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { EpochProposal, SharedEpochStore } from './shared-epoch-store.ts';

/**
 * The client options every RedisEpochStore's client is built with (translator, `meshray replay`): no offline
 * queue, short timeouts, one retry per command: a Redis outage fails fast instead of holding batches.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  connectTimeout: 1000,
  commandTimeout: 500,
  maxRetriesPerRequest: 1,
} as const satisfies RedisOptions;

export interface RedisEpochStoreOptions {
  /** Built by the composition root with FAIL_FAST_REDIS_OPTIONS. */
  readonly redis: Redis;
  readonly ttlMs: number;
  readonly keyPrefix?: string;
}

/**
 * SharedEpochStore on Redis. One pipelined round trip per batch: for each key `SET key proposal NX PX ttl`
 * (first writer wins), `GET key` (the winner), `PEXPIRE key ttl` (sliding TTL).
 */
export class RedisEpochStore implements SharedEpochStore {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  readonly #prefix: string;

  constructor(options: RedisEpochStoreOptions) {
    this.#redis = options.redis;
    this.#ttlMs = Math.max(1, Math.round(options.ttlMs));
    this.#prefix = options.keyPrefix ?? 'meshray:epoch:';
  }

  async agree(proposals: readonly EpochProposal[]): Promise<ReadonlyMap<string, string>> {
    const held = new Map<string, string>();
    if (proposals.length === 0) return held;
    const pipeline = this.#redis.pipeline();
    for (const p of proposals) {
      const key = this.#prefix + p.traceKey;
      pipeline.set(key, p.xrayTraceId, 'PX', this.#ttlMs, 'NX');
      pipeline.get(key);
      pipeline.pexpire(key, this.#ttlMs);
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (cause) {
      throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', `redis: ${(cause as Error).message}`, { cause });
    }
    if (!replies) throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', 'redis: pipeline returned nothing');
    proposals.forEach((p, i) => {
      const [err, value] = replies[i * 3 + 1] ?? [new Error('missing reply'), null];
      if (err) throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', `redis: ${err.message}`, { cause: err });
      held.set(p.traceKey, typeof value === 'string' ? value : p.xrayTraceId);
    });
    return held;
  }
}
