import type { RecordBatch } from '../../../shared/edge/transport/index.ts';

/** What a batch handler may ask of the source while it works (kafkajs: heartbeat, isStale/isRunning). */
export interface BatchControl {
  /** Keeps the group membership alive during a long export. */
  heartbeat(): Promise<void>;
  /** False once the partition was revoked or re-sought, or the source is stopping: give up, commit nothing. */
  isActive(): boolean;
}

/** What the handler did with a batch. */
export interface BatchResult {
  /** Offset (inclusive) up to which every record is done: exported, dead-lettered or skipped. Absent: nothing. */
  readonly doneThrough?: string;
  /**
   * How many of the batch's records, from its first, are done (the last of them is at `doneThrough`). The
   * assembly window hands the pipeline parts of span-list records, one per trace, that share their record's
   * offset: it tells a part that is done from one that is not by this count, never by offset. Absent: all
   * records up to `doneThrough`.
   */
  readonly doneRecords?: number;
  /**
   * Why the records after `doneThrough` are not done (a MeshrayError: XRAY_THROTTLED, XRAY_UNAVAILABLE,
   * XRAY_ACCESS_DENIED, ...). A live source redelivers them (and may ignore it); a range source stops with it.
   */
  readonly failure?: Error;
  /**
   * Offset (inclusive, ≥ `doneThrough`) up to which the handler has taken the records in, holding some in
   * memory (the assembly window): a live source fetches on from there but commits only `doneThrough`, so
   * a crash or rebalance redelivers what was held. Absent: the same as `doneThrough`.
   */
  readonly heldThrough?: string;
}

/** Commits a partition's offset outside a batch (the assembly window flushes on its own timer). */
export interface OffsetCommitter {
  /** Commits `offset` (inclusive) as done; rejects when the partition is no longer this consumer's. */
  commit(partition: number, offset: string): Promise<void>;
  /** False while the consumer group rebalances (nothing is fetched): held traces are not idle meanwhile. */
  isStable(): boolean;
}

export interface BatchHandler {
  /** Handles one partition's batch; the source commits `doneThrough` and redelivers everything after it. */
  handle(batch: RecordBatch, control: BatchControl): Promise<BatchResult>;
  /** The partitions were taken away (rebalance, stop): drop their caches. */
  revoke(partitions: readonly number[]): void;
  /** A source that can commit outside a batch gives the handler its committer when it starts. */
  attach?(committer: OffsetCommitter): void;
  /** The source is stopping (called before it stops fetching): stop timers. */
  detach?(): void;
}

/** Port: where span records come from and where their progress is committed. */
export interface SpanSource {
  /** Starts delivering batches to `handler`; resolves once consuming has started. */
  start(handler: BatchHandler): Promise<void>;
  /** Stops fetching, lets the batches in flight finish (and commit), and disconnects. */
  stop(): Promise<void>;
}
