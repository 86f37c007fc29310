/**
 * The third SpanSource, beside Kafka (live) and in-process (all-in-one): reads offset ranges of a topic
 * (`meshray replay` and `capture` plan them from offsets, a time range or the dead-letter topic) with a
 * consumer of its own: a throwaway group id, never committing, each partition sought to its start and
 * paused once it reaches its end. The live consumer group is not touched.
 *
 * Records are handed to the BatchHandler in batches aligned to absolute offsets (offsets [k·n, (k+1)·n) of
 * a partition), whatever kafkajs's fetch sizes were: the translator's output depends on which spans share a
 * batch, so replaying the same range twice translates the same batches and yields the same documents.
 *
 * It never redelivers: a batch the handler does not finish (`doneThrough` short of its last record) stops
 * the read with the handler's `failure`, and `positions` say where a rerun resumes. So the translator is
 * given `poisonMaxAttempts: 1` over it (a poison record is dead-lettered at once).
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { deliveredRecordOf, type DeliveredRecord } from '../../../shared/core/span-record/record.ts';
import type { BatchControl, BatchHandler, SpanSource } from './span-source.ts';

/** Offsets `startOffset` (inclusive) to `endOffset` (EXCLUSIVE) of one partition. Empty when start ≥ end. */
export interface PartitionRange {
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
}

/** Where a partition's reading stands. */
export interface PartitionPosition {
  readonly partition: number;
  /** Next offset to read (the first one not yet done by the handler: a rerun resumes here). */
  readonly next: number;
  readonly startOffset: number;
  /** Exclusive. */
  readonly endOffset: number;
}

export interface RangeSpanSourceOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly ranges: readonly PartitionRange[];
  /** Records per batch handed to the handler (batches are aligned to multiples of this offset). */
  readonly batchRecords: number;
  /** Fail when no partition has advanced for this long while nothing was being handled. */
  readonly idleTimeoutMs: number;
  /** Group id prefix (a random suffix is added). */
  readonly groupIdPrefix?: string;
  /**
   * Only records whose Kafka timestamp is in [fromMs, toMs) are handed over; the others are read past (for a
   * topic whose times are not in offset order, such as the DLQ, read whole).
   */
  readonly timeWindow?: TimeWindow;
}

/** Kafka record timestamps, ms since the epoch: from `fromMs` (inclusive) to `toMs` (exclusive; none: no end). */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs?: number;
}

interface PartitionState {
  readonly range: PartitionRange;
  /** Next offset to fetch. */
  next: number;
  /** First offset not yet done by the handler (where a rerun resumes). */
  handled: number;
  pending: DeliveredRecord[];
  window: number;
  done: boolean;
}

export class RangeSpanSource implements SpanSource {
  readonly #o: RangeSpanSourceOptions;
  readonly #states = new Map<number, PartitionState>();
  readonly groupId: string;

  #reading: Promise<void> | undefined;
  #stopping = false;

  constructor(options: RangeSpanSourceOptions) {
    if (!(options.batchRecords >= 1)) throw new Error('RangeSpanSource: batchRecords must be >= 1');
    this.#o = options;
    this.groupId = `${options.groupIdPrefix ?? 'meshray-replay'}-${randomUUID()}`;
    for (const range of options.ranges) {
      this.#states.set(range.partition, { range, next: range.startOffset, handled: range.startOffset, pending: [], window: -1, done: range.startOffset >= range.endOffset });
    }
  }

  /** Where each partition stands: `next` is the first offset not yet handled (resume there after a failure). */
  get positions(): PartitionPosition[] {
    return [...this.#states.values()].map((s) => ({ partition: s.range.partition, next: s.handled, startOffset: s.range.startOffset, endOffset: s.range.endOffset }));
  }

  /** SpanSource: starts reading every range in the background; `finished()` settles when it ends. */
  async start(handler: BatchHandler): Promise<void> {
    if (this.#reading !== undefined) return;
    this.#reading = this.read(handler);
    this.#reading.catch(() => undefined); // awaited (and rethrown) by finished()
  }

  /** Resolves once every range was read and handled; rejects with the reason the read stopped. */
  finished(): Promise<void> {
    return this.#reading ?? Promise.reject(new Error('RangeSpanSource: not started'));
  }

  /** SpanSource: stops after the batches in flight; `finished()` then rejects with NOT_READY unless all was read. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#reading?.catch(() => undefined);
  }

  /** Reads every range to its end; rejects on the first batch the handler does not finish, a consumer crash or the idle timeout. */
  async read(handler: BatchHandler): Promise<void> {
    const active = [...this.#states.values()].filter((s) => !s.done);
    if (active.length === 0) return;
    const { kafka, topic } = this.#o;
    const consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 250,
      retry: { retries: 5 },
    });
    let settle!: { resolve: () => void; reject: (e: unknown) => void };
    const finished = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    // A batch can fail before `await finished` below is reached (while seeking or reading metadata):
    // mark the rejection as handled now; awaiting `finished` still rethrows it.
    finished.catch(() => undefined);
    let failed = false;
    const fail = (e: unknown): void => {
      failed = true;
      settle.reject(e);
    };
    let busy = 0;
    let lastActivityMs = Date.now();
    const watchdog = setInterval(() => {
      if (this.#stopping && busy === 0) fail(new MeshrayError('NOT_READY', 'stopped before every range was read'));
      if (busy > 0 || Date.now() - lastActivityMs < this.#o.idleTimeoutMs) return;
      const stuck = [...this.#states.values()].filter((s) => !s.done).map((s) => `p${s.range.partition} at ${s.next} of ${s.range.startOffset}-${s.range.endOffset - 1}`);
      fail(new MeshrayError('NOT_READY', `no record read for ${Math.round(this.#o.idleTimeoutMs / 1000)}s; still waiting for ${stuck.join(', ')}`));
    }, 250);
    watchdog.unref();

    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) fail(e.payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.min(8, active.length),
        eachBatch: async (payload) => {
          if (failed) return;
          busy += 1;
          const before = this.#states.get(payload.batch.partition)?.next;
          try {
            await this.#onBatch(consumer, payload, handler);
            if ([...this.#states.values()].every((s) => s.done)) settle.resolve();
          } catch (e) {
            fail(e);
          } finally {
            busy -= 1;
            // idle means no progress: a fetch that moved no position on (the same slice again) is not activity
            if (this.#states.get(payload.batch.partition)?.next !== before) lastActivityMs = Date.now();
          }
        },
      });
      for (const s of active) consumer.seek({ topic, partition: s.range.partition, offset: String(s.next) });
      const idle = [...this.#states.values()].filter((s) => s.done).map((s) => s.range.partition);
      const unplanned = await this.#unplannedPartitions(kafka);
      if (idle.length + unplanned.length > 0) consumer.pause([{ topic, partitions: [...idle, ...unplanned] }]);
      await finished;
    } finally {
      clearInterval(watchdog);
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
      await this.#deleteGroup(kafka);
    }
  }

  async #onBatch(consumer: Consumer, payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch } = payload;
    const state = this.#states.get(batch.partition);
    if (state === undefined || state.done || this.#stopping) return;
    const { endOffset } = state.range;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (offset < state.next) continue; // before the start (a fetch from before the seek) or seen already
      if (offset >= endOffset) {
        state.next = endOffset;
        break;
      }
      const window = Math.floor(offset / this.#o.batchRecords);
      if (state.pending.length > 0 && window !== state.window) {
        await this.#flush(state, payload, handler);
        if (this.#stopping) return; // stop() (a Ctrl-C): the batch in flight was handled, the rest of this fetch is not
        await payload.heartbeat();
      }
      state.window = window;
      state.next = offset + 1;
      const time = this.#o.timeWindow;
      if (time !== undefined) {
        const ms = Number(m.timestamp);
        if (ms < time.fromMs || (time.toMs !== undefined && ms >= time.toMs)) continue;
      }
      state.pending.push(deliveredRecordOf(m, batch.partition));
    }
    // Control records or compacted gaps at the end of the fetched slice also move the position on.
    state.next = Math.min(endOffset, Math.max(state.next, Number(batch.lastOffset()) + 1));
    // kafkajs fetches on from the offsets resolved, not from what it delivered: without this every fetch after
    // the first returned the same first slice (about maxBytesPerPartition) and a longer range never ended.
    // Nothing is committed (autoCommit off); what was read but not handled yet is in state.pending.
    if (state.next > 0) payload.resolveOffset(String(state.next - 1));
    if (state.next >= endOffset) {
      await this.#flush(state, payload, handler);
      state.handled = endOffset;
      state.done = true;
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
  }

  async #flush(state: PartitionState, payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    if (state.pending.length === 0) return;
    const records = state.pending;
    state.pending = [];
    const { partition } = state.range;
    const control: BatchControl = {
      heartbeat: () => payload.heartbeat(),
      isActive: () => !this.#stopping && payload.isRunning() && !payload.isStale(),
    };
    const last = (records[records.length - 1] as DeliveredRecord).offset;
    const result = await handler.handle({ topic: this.#o.topic, partition, records }, control);
    if (result.doneThrough !== undefined) state.handled = Math.max(state.handled, Number(result.doneThrough) + 1);
    if (result.doneThrough !== last) {
      throw result.failure ?? new MeshrayError('NOT_READY', `partition ${partition}: the batch from offset ${records[0]?.offset ?? '?'} was not finished`);
    }
  }

  async #unplannedPartitions(kafka: Kafka): Promise<number[]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.#o.topic] });
      return (topics[0]?.partitions ?? []).map((p) => p.partitionId).filter((p) => !this.#states.has(p));
    } finally {
      await admin.disconnect();
    }
  }

  /** The throwaway group committed nothing; remove its (empty) group so it does not linger. Best effort. */
  async #deleteGroup(kafka: Kafka): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // the group expires on its own (offsets.retention / empty group cleanup)
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
