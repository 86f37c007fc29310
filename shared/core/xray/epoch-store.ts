/**
 * Remembers which X-Ray trace id a Zipkin trace was given, so every document of a trace carries the same
 * id even when its epoch part was rewritten or its spans mix 64- and 128-bit Zipkin ids.
 */
import { DEFAULT_TRANSLATOR_CONFIG } from './config.ts';
import { RecencyMap } from '../collections/recency-map.ts';

/**
 * Port. Keys are the low 64 bits of the Zipkin trace id (16 hex). Synchronous on purpose: a shared
 * (e.g. Redis) adapter prefetches a batch's keys, then answers from what it fetched.
 */
export interface EpochStore {
  /** The X-Ray trace id held for `traceKey`, if still alive; a hit extends its TTL. */
  recall(traceKey: string, nowMs: number): string | undefined;
  /** Stores `xrayTraceId` unless a live value exists; returns the value now held (first writer wins). */
  remember(traceKey: string, xrayTraceId: string, nowMs: number): string;
  /**
   * Holds `xrayTraceId` for `traceKey`, replacing any value held: what the shared store agreed on
   * (services/translator/epochs/agree-epochs.ts) outranks a local cache's own mint, so that after an outage
   * in which the two differed the local cache answers the agreed id when it answers alone again.
   */
  adopt(traceKey: string, xrayTraceId: string, nowMs: number): void;
}

/**
 * `store` read and written at `clockOf(traceKey)`, whatever `nowMs` its callers pass. The translator runs
 * its per-partition caches on receive time, per trace (the Kafka timestamps of the trace's records in the
 * batch, services/translator/epochs/receive-clocks.ts `receiveClocksOf`): `EPOCH_TTL` then spans the time between a
 * trace's spans as they were received, so neither a consumer lag of minutes (an X-Ray throttle or outage)
 * nor a batch mixing traces received minutes apart expires a trace's id between its spans and mints a
 * second one for its late spans.
 */
export function epochStoreAt(store: EpochStore, clockOf: (traceKey: string) => number): EpochStore {
  return {
    recall: (traceKey) => store.recall(traceKey, clockOf(traceKey)),
    remember: (traceKey, xrayTraceId) => store.remember(traceKey, xrayTraceId, clockOf(traceKey)),
    adopt: (traceKey, xrayTraceId) => store.adopt(traceKey, xrayTraceId, clockOf(traceKey)),
  };
}

export interface MemoryEpochStoreOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  /**
   * Sweep expired entries at the `nowMs` of each `remember` (default true). A caller whose clocks differ per
   * trace (epochStoreAt) turns it off and calls `sweep` with the oldest clock it will use: a sweep at one
   * trace's clock must not drop the entry of a trace that an older clock still sees alive.
   */
  readonly sweepOnRemember?: boolean;
  /**
   * How long past its expiry a `sweep` keeps an entry (default 0). Clocks that are not monotonic need it: a
   * partition's records need not arrive in receive-time order (a receiver holds a record past ACK_TIMEOUT while
   * others append, receivers' clocks differ), so a later batch can carry an older clock that still sees the
   * entry alive.
   */
  readonly sweepGraceMs?: number;
}

interface Entry {
  readonly xrayTraceId: string;
  expiresAtMs: number;
}

/**
 * Bounded LRU with a sliding TTL, on a RecencyMap (shared/core/collections/recency-map.ts: least recently
 * used first, without walking the holes a plain Map's delete-and-set leaves). Reads no clock: `nowMs` comes
 * with every call. With non-decreasing `nowMs` the least recently used entry is also the first to expire,
 * so expired entries are swept from that end in amortised O(1).
 */
export class MemoryEpochStore implements EpochStore {
  readonly #entries = new RecencyMap<Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #sweepOnRemember: boolean;
  readonly #sweepGraceMs: number;

  constructor(options: MemoryEpochStoreOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_TRANSLATOR_CONFIG.epochCacheMaxEntries);
    this.#ttlMs = options.ttlMs ?? DEFAULT_TRANSLATOR_CONFIG.epochTtlMs;
    this.#sweepOnRemember = options.sweepOnRemember ?? true;
    this.#sweepGraceMs = options.sweepGraceMs ?? 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  recall(traceKey: string, nowMs: number): string | undefined {
    const entry = this.#entries.get(traceKey);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.#entries.delete(traceKey);
      return undefined;
    }
    // a hit at an older clock (a record received earlier, delivered later) never shortens the entry's life
    entry.expiresAtMs = Math.max(entry.expiresAtMs, nowMs + this.#ttlMs);
    this.#entries.touch(traceKey);
    return entry.xrayTraceId;
  }

  remember(traceKey: string, xrayTraceId: string, nowMs: number): string {
    const held = this.recall(traceKey, nowMs);
    if (held !== undefined) return held;
    if (this.#sweepOnRemember) this.sweep(nowMs);
    this.#entries.set(traceKey, { xrayTraceId, expiresAtMs: nowMs + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) this.#entries.shift();
    return xrayTraceId;
  }

  adopt(traceKey: string, xrayTraceId: string, nowMs: number): void {
    const entry = this.#entries.get(traceKey);
    if (entry === undefined || nowMs >= entry.expiresAtMs || entry.xrayTraceId === xrayTraceId) {
      this.remember(traceKey, xrayTraceId, nowMs);
      return;
    }
    // a live entry keeps the longer of its own life and the new one (clocks need not rise, see recall)
    this.#entries.set(traceKey, { xrayTraceId, expiresAtMs: Math.max(entry.expiresAtMs, nowMs + this.#ttlMs) });
  }

  /** Drops entries expired `sweepGraceMs` before `nowMs` from the least recently used end, up to the first live one. */
  sweep(nowMs: number): void {
    const at = nowMs - this.#sweepGraceMs;
    for (let oldest = this.#entries.oldest(); oldest !== undefined && at >= oldest.value.expiresAtMs; oldest = this.#entries.oldest()) {
      this.#entries.shift();
    }
  }
}
