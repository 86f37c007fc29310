import type { ErrorCode } from '../../../shared/edge/errors/index.ts';
import { PartitionOffsets } from './partition-offsets.ts';

/** Why a delivered record was not exported (a poison record still under POISON_MAX_ATTEMPTS). */
export interface RecordFailure {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly message: string;
  /** Deliveries of the record so far. */
  readonly attempts: number;
  /**
   * The poison spans, by index within the record as delivered (with the assembly window, within one trace's part of
   * it: parts share the record's offset, so the trace id tells them apart), each with its own reason; absent: the
   * record as a whole (undecodable).
   */
  readonly spans?: readonly { readonly index: number; readonly traceId: string; readonly reason: string; readonly message: string; readonly attempts: number }[];
}

/**
 * What the translator remembers about records delivered but not committed yet, per partition: how many
 * times each failing (poison) record was delivered and why it failed last, and which of a record's documents X-Ray already
 * accepted (its batch failed on other documents), so a redelivery counts on and does not send them again.
 * Everything about a record goes once it is committed (`committed`), whole partitions once revoked.
 * The source commits the offset the pipeline reports done (`BatchResult.doneThrough`); nothing else does.
 */
export class UncommittedRecords {
  /** Per record, deliveries by part: '' for a record as a whole, a trace id for the assembly window's part of it. */
  readonly #deliveries = new PartitionOffsets<Map<string, number>>();
  readonly #accepted = new PartitionOffsets<Set<string>>();
  readonly #failures = new PartitionOffsets<RecordFailure>();
  /** Revoked partitions whose failures are still kept (until delivered again). */
  readonly #revokedFailures = new Set<number>();

  /**
   * Counts one more delivery of the (failing) record, or of its `part` (the assembly window delivers a
   * span-list record's traces apart, each when it is due: each part counts its own deliveries), and returns
   * the count.
   */
  delivered(partition: number, offset: string, part = ''): number {
    let parts = this.#deliveries.get(partition, offset);
    if (parts === undefined) this.#deliveries.set(partition, offset, (parts = new Map()));
    const n = (parts.get(part) ?? 0) + 1;
    parts.set(part, n);
    return n;
  }

  /** The record's last delivery found it poison: what a shutdown saves it with (`failureOf`). */
  failed(partition: number, offset: string, failure: RecordFailure): void {
    this.#failures.set(partition, offset, failure);
  }

  /**
   * The record's last delivery found nothing poison in the spans of `traceIds` (a time-dependent failure passed,
   * or a clean part of it was delivered): forget what failed in them; the failure goes once nothing of it is left.
   */
  recovered(partition: number, offset: string, traceIds: ReadonlySet<string>): void {
    const failure = this.#failures.get(partition, offset);
    if (failure === undefined) return;
    const left = failure.spans?.filter((s) => !traceIds.has(s.traceId));
    if (left === undefined || left.length === 0) this.#failures.delete(partition, offset);
    else if (left.length < (failure.spans?.length ?? 0)) this.#failures.set(partition, offset, { ...failure, spans: left });
  }

  /** True when some record of the partition failed (cheap: recovered() need not be asked otherwise). */
  hasFailures(partition: number): boolean {
    return this.#failures.has(partition);
  }

  failureOf(partition: number, offset: string): RecordFailure | undefined {
    return this.#failures.get(partition, offset);
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
    this.#failures.forgetThrough(partition, offset);
  }

  /**
   * The partitions were taken away: forget them whole, except why their records failed, which a shutdown
   * asks for after its source stopped (a stop revokes); that goes when the partition is delivered again.
   * (A partition that never comes back keeps its last failures: a batch's worth at most, per partition.)
   */
  revoked(partitions: readonly number[]): void {
    this.#deliveries.drop(partitions);
    this.#accepted.drop(partitions);
    for (const p of partitions) this.#revokedFailures.add(p);
  }

  /** A batch of the partition is being handled: failures kept from before a revoke go. */
  delivering(partition: number): void {
    if (!this.#revokedFailures.delete(partition)) return;
    this.#failures.drop([partition]);
  }
}
