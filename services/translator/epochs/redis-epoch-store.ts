import { createHash } from 'node:crypto';
import { ReplyError, type Redis, type RedisOptions } from 'ioredis';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { fullJitterDelayMs, type BackoffPolicy } from '../../../shared/edge/resilience/backoff.ts';
import type { EpochProposal, SharedEpochStore } from './shared-epoch-store.ts';

/** How a lost Redis connection is retried: full-jitter backoff, ceilings 200 ms doubling up to 5 s (shared/edge/resilience/backoff.ts). */
export const REDIS_RECONNECT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 200, maxMs: 5000 });

/**
 * ioredis's `retryStrategy` for `policy`: the delay (ms) before reconnect attempt `times` (1 = the first), never
 * null, so ioredis keeps reconnecting for as long as the process runs. `random` returns [0, 1).
 */
export function redisRetryStrategy(policy: BackoffPolicy, random: () => number = () => Math.random()): (times: number) => number {
  // At least 1 ms: full jitter may draw 0, and a reconnect loop with no pause at all would spin on a dead Redis.
  return (times) => Math.max(1, fullJitterDelayMs(times, policy, random));
}

/**
 * The client options every RedisEpochStore's client is built with (translator, `meshray replay`): no offline
 * queue, short timeouts, one retry per command: a Redis outage fails fast instead of holding batches. The
 * connection itself is retried with REDIS_RECONNECT_BACKOFF.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  connectTimeout: 1000,
  commandTimeout: 500,
  maxRetriesPerRequest: 1,
  retryStrategy: redisRetryStrategy(REDIS_RECONNECT_BACKOFF),
} as const satisfies RedisOptions;

export interface RedisEpochStoreOptions {
  /** Built by the composition root with FAIL_FAST_REDIS_OPTIONS. */
  readonly redis: Redis;
  readonly ttlMs: number;
  readonly keyPrefix?: string;
}

/**
 * For each key (KEYS[i], proposal ARGV[i + 1], TTL ARGV[1] in ms): the live value, its TTL slid, or else the
 * proposal, stored with the TTL (first writer wins). Atomic per call, as each SET NX was alone.
 */
export const AGREE_SCRIPT = `local held = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value then
    redis.call('PEXPIRE', key, ARGV[1])
  else
    value = ARGV[i + 1]
    redis.call('SET', key, value, 'PX', ARGV[1])
  end
  held[i] = value
end
return held`;
const AGREE_SHA1 = createHash('sha1').update(AGREE_SCRIPT).digest('hex');

/**
 * SharedEpochStore on Redis. One command per batch: EVALSHA of AGREE_SCRIPT over the batch's keys (EVAL
 * once when Redis does not hold the script yet, e.g. after a restart). It replaced a pipeline of three
 * commands per key (`SET key proposal NX PX ttl`, `GET key`, `PEXPIRE key ttl`) with the same outcome:
 * ioredis' cost is per command (issue 9).
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
    const args: string[] = new Array<string>(proposals.length * 2 + 1);
    args[proposals.length] = String(this.#ttlMs);
    proposals.forEach((p, i) => {
      args[i] = this.#prefix + p.traceKey;
      args[proposals.length + 1 + i] = p.xrayTraceId;
    });
    let replies: unknown;
    try {
      replies = await this.#redis.evalsha(AGREE_SHA1, proposals.length, ...args).catch((err: unknown) => {
        // A Redis error reply starts with its error code (RESP "Simple errors": `-NOSCRIPT No matching script`), which
        // ioredis's ReplyError keeps as the start of its message: the script is not cached on this server yet.
        if (err instanceof ReplyError && (err as Error).message.startsWith('NOSCRIPT ')) return this.#redis.eval(AGREE_SCRIPT, proposals.length, ...args);
        throw err;
      });
    } catch (cause) {
      const { host, port, path } = this.#redis.options;
      const where = `Redis at ${path ?? `${host ?? '?'}:${port ?? '?'}`}`;
      // Not connected: ioredis's own words ("Stream isn't writeable and enableOfflineQueue options is false")
      // name its option, not the fault; its connection status does.
      const status = this.#redis.status;
      const why = status === 'ready' ? `failed: ${(cause as Error).message}` : `is not connected (${status})`;
      throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', `${where} ${why}: this translator's local epoch cache answers until it is back`, { cause });
    }
    if (!Array.isArray(replies) || replies.length !== proposals.length) {
      throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', `redis: expected ${proposals.length} values, got ${Array.isArray(replies) ? replies.length : typeof replies}`);
    }
    proposals.forEach((p, i) => {
      const value: unknown = replies[i];
      held.set(p.traceKey, typeof value === 'string' ? value : p.xrayTraceId);
    });
    return held;
  }
}
