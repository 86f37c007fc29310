import { MemoryEpochStore } from '../../../shared/core/xray/index.ts';

/**
 * One bounded MemoryEpochStore per assigned partition (a trace lives in one partition: keyed by trace id).
 * Its clocks are per trace (receive time, receive-clocks.ts `receiveClocksOf`), so the pipeline sweeps it once per
 * batch at the batch's oldest clock, and an entry is kept one EPOCH_TTL past its expiry: receive times are
 * Kafka record timestamps, which need not rise with the offset (a record a receiver held past ACK_TIMEOUT,
 * receivers whose clocks differ), so a later batch may see a trace at an older clock.
 */
export class PartitionEpochs {
  readonly #stores = new Map<number, MemoryEpochStore>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
  }

  forPartition(partition: number): MemoryEpochStore {
    let store = this.#stores.get(partition);
    if (!store) this.#stores.set(partition, (store = new MemoryEpochStore({ ttlMs: this.#ttlMs, maxEntries: this.#maxEntries, sweepOnRemember: false, sweepGraceMs: this.#ttlMs })));
    return store;
  }

  /** Forgets revoked partitions' caches: their traces are now another instance's. */
  drop(partitions: readonly number[]): void {
    for (const p of partitions) this.#stores.delete(p);
  }

  get partitions(): readonly number[] {
    return [...this.#stores.keys()];
  }
}
