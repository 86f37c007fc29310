/**
 * Remembers which X-Ray trace id a Zipkin trace was given, so every document of a trace carries the same
 * id even when its epoch part was rewritten or its spans mix 64- and 128-bit Zipkin ids.
 */
import { DEFAULT_TRANSLATOR_CONFIG } from './config.ts';

/**
 * Port. Keys are the low 64 bits of the Zipkin trace id (16 hex). Synchronous on purpose: a shared
 * (e.g. Redis) adapter prefetches a batch's keys, then answers from what it fetched.
 */
export interface EpochStore {
  /** The X-Ray trace id held for `traceKey`, if still alive; a hit extends its TTL. */
  recall(traceKey: string, nowMs: number): string | undefined;
  /** Stores `xrayTraceId` unless a live value exists; returns the value now held (first writer wins). */
  remember(traceKey: string, xrayTraceId: string, nowMs: number): string;
}

/**
 * `store` read and written at `clockMs`, whatever `nowMs` its callers pass. The translator runs its
 * per-partition caches on receive time (the batch's Kafka record timestamps, services/translator/pipeline.ts
 * `receiveClockOf`): `EPOCH_TTL` then spans the time between a trace's spans as they were received, so a
 * consumer lag of minutes (an X-Ray throttle or outage) does not expire a trace's id between its spans and
 * mint a second one for its late spans.
 */
export function epochStoreAt(store: EpochStore, clockMs: number): EpochStore {
  return {
    recall: (traceKey) => store.recall(traceKey, clockMs),
    remember: (traceKey, xrayTraceId) => store.remember(traceKey, xrayTraceId, clockMs),
  };
}

export interface MemoryEpochStoreOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
}

interface Entry {
  readonly xrayTraceId: string;
  expiresAtMs: number;
}

/**
 * Bounded LRU with a sliding TTL, on one Map (insertion order = recency order). Reads no clock: `nowMs`
 * comes with every call. With non-decreasing `nowMs` the least recently used entry is also the first to
 * expire, so expired entries are swept from the front in amortised O(1).
 */
export class MemoryEpochStore implements EpochStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(options: MemoryEpochStoreOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_TRANSLATOR_CONFIG.epochCacheMaxEntries);
    this.#ttlMs = options.ttlMs ?? DEFAULT_TRANSLATOR_CONFIG.epochTtlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  recall(traceKey: string, nowMs: number): string | undefined {
    const entry = this.#entries.get(traceKey);
    if (entry === undefined) return undefined;
    this.#entries.delete(traceKey);
    if (nowMs >= entry.expiresAtMs) return undefined;
    entry.expiresAtMs = nowMs + this.#ttlMs;
    this.#entries.set(traceKey, entry);
    return entry.xrayTraceId;
  }

  remember(traceKey: string, xrayTraceId: string, nowMs: number): string {
    const held = this.recall(traceKey, nowMs);
    if (held !== undefined) return held;
    this.#sweep(nowMs);
    this.#entries.set(traceKey, { xrayTraceId, expiresAtMs: nowMs + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    return xrayTraceId;
  }

  #sweep(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (nowMs < entry.expiresAtMs) return;
      this.#entries.delete(key);
    }
  }
}
