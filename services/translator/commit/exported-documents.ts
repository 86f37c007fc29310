/**
 * Documents X-Ray already accepted from records not yet committed (their batch failed on other documents),
 * per partition, so a redelivery does not send them again. Entries go once their record is committed, and
 * whole partitions go when revoked.
 */
export class ExportedDocuments {
  readonly #byPartition = new Map<number, Map<string, Set<string>>>();

  add(partition: number, offset: string, segmentId: string): void {
    let offsets = this.#byPartition.get(partition);
    if (!offsets) this.#byPartition.set(partition, (offsets = new Map()));
    let ids = offsets.get(offset);
    if (!ids) offsets.set(offset, (ids = new Set()));
    ids.add(segmentId);
  }

  has(partition: number, offset: string, segmentId: string): boolean {
    return this.#byPartition.get(partition)?.get(offset)?.has(segmentId) === true;
  }

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
