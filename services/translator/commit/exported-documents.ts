import { PartitionOffsets } from './partition-offsets.ts';

/**
 * Documents X-Ray already accepted from records not yet committed (their batch failed on other documents),
 * per partition, so a redelivery does not send them again. Entries go once their record is committed, and
 * whole partitions go when revoked.
 */
export class ExportedDocuments {
  readonly #segmentIds = new PartitionOffsets<Set<string>>();

  add(partition: number, offset: string, segmentId: string): void {
    const ids = this.#segmentIds.get(partition, offset);
    if (ids) ids.add(segmentId);
    else this.#segmentIds.set(partition, offset, new Set([segmentId]));
  }

  has(partition: number, offset: string, segmentId: string): boolean {
    return this.#segmentIds.get(partition, offset)?.has(segmentId) === true;
  }

  forgetThrough(partition: number, offset: string): void {
    this.#segmentIds.forgetThrough(partition, offset);
  }

  drop(partitions: readonly number[]): void {
    this.#segmentIds.drop(partitions);
  }
}
