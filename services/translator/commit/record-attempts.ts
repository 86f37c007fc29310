import { PartitionOffsets } from './partition-offsets.ts';

/**
 * How many times each failing (poison) record was delivered, per partition. Holds only failing records;
 * entries go once their offset is committed, and whole partitions go when revoked.
 */
export class RecordAttempts {
  readonly #counts = new PartitionOffsets<number>();

  /** Counts one more delivery of the record and returns the count. */
  count(partition: number, offset: string): number {
    const n = (this.#counts.get(partition, offset) ?? 0) + 1;
    this.#counts.set(partition, offset, n);
    return n;
  }

  /** Forgets the records up to and including `offset` (they are committed). */
  forgetThrough(partition: number, offset: string): void {
    this.#counts.forgetThrough(partition, offset);
  }

  drop(partitions: readonly number[]): void {
    this.#counts.drop(partitions);
  }
}
