/**
 * The export budget shared by every translator instance (SAMPLING=on): documents per second, cluster-wide,
 * through Redis, a fixed window per second in one Lua script (Redis' own clock, so instances agree on the
 * second). Documents of traces kept by policy are always granted and taken first (they may pass the limit:
 * the excess is carried into the next second); adaptive traces get what is left below ADAPTIVE_SHARE of the
 * limit, each whole or not at all. The last tenth is headroom: for policy-kept traces that arrive after the
 * second's adaptive grants, and for exports granted at the end of one second that X-Ray counts in the next
 * (an acceptance run without it put 2,013 documents in a 10-second window of a 2,000 budget).
 * When Redis does not answer, the instance grants from a local TokenBucket at its share of the limit (the
 * limit divided by the instances Redis last counted) and counts the fallback.
 */
import type { Redis } from 'ioredis';
import { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import type { NowMs } from '../../../shared/edge/resilience/clock.ts';

/** The part of the limit adaptive traces may fill; the rest is headroom (module comment). */
export const ADAPTIVE_SHARE = 0.9;

export interface BudgetRequest {
  /** Documents of traces kept by policy: granted whatever the budget. */
  readonly forced: number;
  /** Documents of each adaptive trace, in order: each granted whole or refused. */
  readonly wanted: readonly number[];
}

export interface BudgetGrant {
  readonly granted: readonly boolean[];
  /** True: Redis did not answer and this instance's share decided. */
  readonly fallback: boolean;
}

export interface ExportBudget {
  grant(request: BudgetRequest): Promise<BudgetGrant>;
}

/** KEYS[1]: window key prefix; KEYS[2]: instances set. ARGV: limit, instance id, forced, adaptive limit, wanted... Returns {instances, {0|1...}}. */
const GRANT_SCRIPT = `
local t = redis.call('TIME')
local sec = tonumber(t[1])
local nowMs = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local key = KEYS[1] .. sec
local used = redis.call('GET', key)
if used then
  used = tonumber(used)
else
  used = math.max(0, tonumber(redis.call('GET', KEYS[1] .. (sec - 1)) or '0') - limit)
end
used = used + tonumber(ARGV[3])
local adaptiveLimit = tonumber(ARGV[4])
local granted = {}
for i = 5, #ARGV do
  local cost = tonumber(ARGV[i])
  if used + cost <= adaptiveLimit then
    used = used + cost
    granted[#granted + 1] = 1
  else
    granted[#granted + 1] = 0
  end
end
redis.call('SET', key, used, 'EX', 5)
redis.call('ZADD', KEYS[2], nowMs, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs - 15000)
redis.call('PEXPIRE', KEYS[2], 60000)
return {redis.call('ZCARD', KEYS[2]), granted}
`;

export interface RedisExportBudgetOptions {
  /** Built with FAIL_FAST_REDIS_OPTIONS: an outage answers fast and the local share decides. */
  readonly redis: Redis;
  /** XRAY_SEGMENTS_PER_SECOND (or OTLP_SPANS_PER_SECOND): documents per second for the whole cluster. */
  readonly limitPerSecond: number;
  /** This instance's name in the instances set (unique per process). */
  readonly instanceId: string;
  /** Keys: `<prefix>window:<second>`, `<prefix>instances`. One prefix per export protocol. */
  readonly keyPrefix: string;
  readonly nowMs: NowMs;
  /** Called once per request answered by the local share. */
  readonly onFallback?: (cause: Error) => void;
}

export class RedisExportBudget implements ExportBudget {
  readonly #o: RedisExportBudgetOptions;
  #instances = 1;
  #local: TokenBucket;

  constructor(options: RedisExportBudgetOptions) {
    this.#o = options;
    this.#local = this.#bucket();
  }

  /** Instances Redis counted at the last answer (the local share is the limit divided by it). */
  get instances(): number {
    return this.#instances;
  }

  async grant(request: BudgetRequest): Promise<BudgetGrant> {
    try {
      const reply = await this.#o.redis.eval(
        GRANT_SCRIPT, 2, `${this.#o.keyPrefix}window:`, `${this.#o.keyPrefix}instances`,
        this.#o.limitPerSecond, this.#o.instanceId, request.forced, this.#o.limitPerSecond * ADAPTIVE_SHARE, ...request.wanted,
      ) as [number, number[]];
      const instances = Math.max(1, Number(reply[0]));
      if (instances !== this.#instances) {
        this.#instances = instances;
        this.#local = this.#bucket();
      }
      return { granted: request.wanted.map((_, i) => reply[1][i] === 1), fallback: false };
    } catch (err) {
      this.#o.onFallback?.(err as Error);
      return { granted: localGrant(this.#local, request, this.#o.limitPerSecond / this.#instances), fallback: true };
    }
  }

  #bucket(): TokenBucket {
    return new TokenBucket({ ratePerSecond: this.#o.limitPerSecond / this.#instances, nowMs: this.#o.nowMs });
  }
}

/**
 * One instance's budget from a TokenBucket holding a second's share: forced documents go into debt, adaptive
 * ones only if they fit now and leave the headroom (1 - ADAPTIVE_SHARE of a second's share) in the bucket.
 */
export function localGrant(bucket: TokenBucket, request: BudgetRequest, ratePerSecond: number): boolean[] {
  if (request.forced > 0) bucket.reserve(request.forced);
  const headroom = ratePerSecond * (1 - ADAPTIVE_SHARE);
  return request.wanted.map((cost) => {
    if (bucket.tokens - headroom < cost) return false;
    bucket.reserve(cost);
    return true;
  });
}

/** The budget without Redis (EPOCH_STORE=memory and no shared budget): this instance alone has the whole limit. */
export class LocalExportBudget implements ExportBudget {
  readonly #bucket: TokenBucket;
  readonly #limitPerSecond: number;

  constructor(options: { readonly limitPerSecond: number; readonly nowMs: NowMs }) {
    this.#limitPerSecond = options.limitPerSecond;
    this.#bucket = new TokenBucket({ ratePerSecond: options.limitPerSecond, nowMs: options.nowMs });
  }

  grant(request: BudgetRequest): Promise<BudgetGrant> {
    return Promise.resolve({ granted: localGrant(this.#bucket, request, this.#limitPerSecond), fallback: false });
  }
}
