/**
 * How many times each failing (poison) record was delivered, per partition. Holds only failing records;
 * entries go once their offset is committed, and whole partitions go when revoked.
 */
export class RecordAttempts {
  readonly #byPartition = new Map<number, Map<string, number>>();

  /** Counts one more delivery of the record and returns the count. */
  count(partition: number, offset: string): number {
    let offsets = this.#byPartition.get(partition);
    if (!offsets) this.#byPartition.set(partition, (offsets = new Map()));
    const n = (offsets.get(offset) ?? 0) + 1;
    offsets.set(offset, n);
    return n;
  }

  /** Forgets the records up to and including `offset` (they are committed). */
  forgetThrough(partition: number, offset: string): void {
    const offsets = this.#byPartition.get(partition);
    if (!offsets) return;
    const upTo = BigInt(offset);
    for (const o of offsets.keys()) if (BigInt(o) <= upTo) offsets.delete(o);
    if (offsets.size === 0) this.#byPartition.delete(partition);
  }

  drop(partitions: readonly number[]): void {
    for (const p of partitions) this.#byPartition.delete(p);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#byPartition.values()) n += m.size;
    return n;
  }
}
