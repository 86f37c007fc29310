import { PartitionOffsets } from './partition-offsets.ts';

/**
 * What the translator remembers about records delivered but not committed yet, per partition: how many
 * times each failing (poison) record was delivered, and which of a record's documents X-Ray already
 * accepted (its batch failed on other documents), so a redelivery counts on and does not send them again.
 * Everything about a record goes once it is committed (`committed`), whole partitions once revoked.
 * The source commits the offset the pipeline reports done (`BatchResult.doneThrough`); nothing else does.
 */
export class UncommittedRecords {
  readonly #deliveries = new PartitionOffsets<number>();
  readonly #accepted = new PartitionOffsets<Set<string>>();

  /** Counts one more delivery of the (failing) record and returns the count. */
  delivered(partition: number, offset: string): number {
    const n = (this.#deliveries.get(partition, offset) ?? 0) + 1;
    this.#deliveries.set(partition, offset, n);
    return n;
  }

  /** X-Ray accepted the record's document `segmentId`. */
  accepted(partition: number, offset: string, segmentId: string): void {
    const ids = this.#accepted.get(partition, offset);
    if (ids) ids.add(segmentId);
    else this.#accepted.set(partition, offset, new Set([segmentId]));
  }

  wasAccepted(partition: number, offset: string, segmentId: string): boolean {
    return this.#accepted.get(partition, offset)?.has(segmentId) === true;
  }

  /** The records up to and including `offset` are done (committed): forget them. */
  committed(partition: number, offset: string): void {
    this.#deliveries.forgetThrough(partition, offset);
    this.#accepted.forgetThrough(partition, offset);
  }

  /** The partitions were taken away: forget them whole. */
  revoked(partitions: readonly number[]): void {
    this.#deliveries.drop(partitions);
    this.#accepted.drop(partitions);
  }
}
