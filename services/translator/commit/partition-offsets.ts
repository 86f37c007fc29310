/**
 * A value per (partition, offset) for records not committed yet: entries go once their offset is
 * committed (`forgetThrough`), whole partitions when revoked (`drop`).
 */
export class PartitionOffsets<V> {
  readonly #byPartition = new Map<number, Map<string, V>>();

  get(partition: number, offset: string): V | undefined {
    return this.#byPartition.get(partition)?.get(offset);
  }

  set(partition: number, offset: string, value: V): void {
    let offsets = this.#byPartition.get(partition);
    if (!offsets) this.#byPartition.set(partition, (offsets = new Map()));
    offsets.set(offset, value);
  }

  delete(partition: number, offset: string): void {
    const offsets = this.#byPartition.get(partition);
    if (offsets === undefined) return;
    offsets.delete(offset);
    if (offsets.size === 0) this.#byPartition.delete(partition);
  }

  /** True when the partition holds any value. */
  has(partition: number): boolean {
    return this.#byPartition.has(partition);
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
}
