/**
 * Reads offset ranges of a topic with a consumer of its own: a throwaway group id, never committing, each
 * partition sought to its start and paused once it reaches its end. The live consumer group is not touched.
 *
 * Records are handed on in batches aligned to absolute offsets (offsets [k·n, (k+1)·n) of a partition),
 * whatever kafkajs's fetch sizes were: the translator's output depends on which spans share a batch, so
 * replaying the same range twice translates the same batches and yields the same documents.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { MeshrayError } from '../../../shared/errors/index.ts';
import { stringHeadersOf } from '../../../shared/span-record/headers.ts';
import type { DeliveredRecord } from '../../../shared/span-record/record.ts';
import type { ExportControl } from '../../translator/export/segment-sink.ts';
import type { PartitionRange } from './plan-ranges.ts';
import type { PartitionPosition } from './progress.ts';

export interface RangeReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly ranges: readonly PartitionRange[];
  /** Records per batch handed to `onBatch` (batches are aligned to multiples of this offset). */
  readonly batchRecords: number;
  /** Fail when no partition has advanced for this long while nothing was being handled. */
  readonly idleTimeoutMs: number;
  /**
   * Called with each batch of one partition, in offset order; one call at a time per partition. `control`
   * keeps the consumer's group membership during long waits (rate limit, X-Ray retries).
   */
  readonly onBatch: (partition: number, records: readonly DeliveredRecord[], control: ExportControl) => Promise<void>;
  /** Group id prefix (a random suffix is added). */
  readonly groupIdPrefix?: string;
}

interface PartitionState {
  readonly range: PartitionRange;
  /** Next offset to fetch. */
  next: number;
  /** First offset not yet handled by a successful `onBatch` (where a rerun resumes). */
  handled: number;
  pending: DeliveredRecord[];
  window: number;
  done: boolean;
}

export class RangeReader {
  readonly #o: RangeReaderOptions;
  readonly #states = new Map<number, PartitionState>();
  readonly groupId: string;

  constructor(options: RangeReaderOptions) {
    if (!(options.batchRecords >= 1)) throw new Error('RangeReader: batchRecords must be >= 1');
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

  /** Reads every range to its end; rejects on the first failure of `onBatch`, a consumer crash or the idle timeout. */
  async read(): Promise<void> {
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
          try {
            await this.#onBatch(consumer, payload);
            lastActivityMs = Date.now();
            if ([...this.#states.values()].every((s) => s.done)) settle.resolve();
          } catch (e) {
            fail(e);
          } finally {
            busy -= 1;
            lastActivityMs = Date.now();
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

  async #onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const state = this.#states.get(batch.partition);
    if (state === undefined || state.done) return;
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
        await this.#flush(state, payload);
        await payload.heartbeat();
      }
      state.window = window;
      state.pending.push({
        key: m.key?.toString('utf8') ?? '',
        value: m.value ?? Buffer.alloc(0),
        headers: stringHeadersOf(m.headers),
        timestampMs: Number(m.timestamp),
        partition: batch.partition,
        offset: m.offset,
      });
      state.next = offset + 1;
    }
    // Control records or compacted gaps at the end of the fetched slice also move the position on.
    state.next = Math.min(endOffset, Math.max(state.next, Number(batch.lastOffset()) + 1));
    if (state.next >= endOffset) {
      await this.#flush(state, payload);
      state.handled = endOffset;
      state.done = true;
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
  }

  async #flush(state: PartitionState, payload: EachBatchPayload): Promise<void> {
    if (state.pending.length === 0) return;
    const records = state.pending;
    state.pending = [];
    await this.#o.onBatch(state.range.partition, records, {
      heartbeat: () => payload.heartbeat(),
      isActive: () => payload.isRunning() && !payload.isStale(),
    });
    state.handled = Number((records[records.length - 1] as DeliveredRecord).offset) + 1;
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
