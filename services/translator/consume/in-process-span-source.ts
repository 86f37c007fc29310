import type { Logger } from '../../../shared/edge/log/index.ts';
import { sleepMs } from '../../../shared/edge/resilience/clock.ts';
import type { InProcessTopic, RecordBatch } from '../../../shared/edge/transport/index.ts';
import { nextOffset } from '../commit/offsets.ts';
import type { ConsumerHealth } from '../health.ts';
import type { TranslatorMetrics } from '../metrics.ts';
import type { BatchControl, BatchHandler, SpanSource } from './span-source.ts';

export interface InProcessSpanSourceOptions {
  readonly topic: InProcessTopic;
  readonly partitionsConcurrency: number;
  /** Records per batch. */
  readonly maxBatch: number;
  readonly logger: Logger;
  readonly health: ConsumerHealth;
  readonly metrics: TranslatorMetrics;
  /** Longest idle wait before looking again. */
  readonly pollMs?: number;
}

/** The pause after a round that committed nothing: a turn for timers and sockets, short beside a failed export's own pause. */
const NO_PROGRESS_PAUSE_MS = 20;

/** SpanSource over the all-in-one's InProcessTopic: the same batch handler; commit = topic.commit. */
export class InProcessSpanSource implements SpanSource {
  readonly #o: InProcessSpanSourceOptions;
  readonly #log: Logger;
  #running = false;
  #loop: Promise<void> | undefined;
  #handler: BatchHandler | undefined;
  readonly #seen = new Set<number>();

  constructor(options: InProcessSpanSourceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'in-process-span-source' });
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#handler = handler;
    this.#o.health.joined();
    this.#log.info({ topic: this.#o.topic.name }, 'consuming in-process topic');
    this.#loop = this.#run(handler);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#loop = undefined;
    const partitions = [...this.#seen];
    this.#seen.clear();
    this.#handler?.revoke(partitions);
    this.#o.health.revoked(partitions);
    this.#o.health.left();
    this.#log.info('in-process consumer stopped');
  }

  async #run(handler: BatchHandler): Promise<void> {
    const pollMs = this.#o.pollMs ?? 200;
    while (this.#running) {
      await this.#o.topic.waitForRecords(pollMs);
      if (!this.#running) break;
      const batches = this.#o.topic.peek(this.#o.maxBatch);
      if (batches.length === 0) continue;
      let next = 0;
      let progress = false;
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next++];
          if (batch && await this.#handle(batch, handler)) progress = true;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#o.partitionsConcurrency, batches.length) }, worker));
      // Nothing committed (a poison record being retried, every partition): pause as a refetch from Kafka
      // would, instead of redelivering in a loop of promises that never lets a timer or socket in.
      if (!progress && this.#running) await sleepMs(NO_PROGRESS_PAUSE_MS);
    }
  }

  /** Handles one batch; true when it committed something. */
  async #handle(batch: RecordBatch, handler: BatchHandler): Promise<boolean> {
    const { partition } = batch;
    this.#seen.add(partition);
    const control: BatchControl = { heartbeat: async () => {}, isActive: () => this.#running };
    try {
      this.#setLag(partition, batch.records.length);
      const result = await handler.handle(batch, control);
      if (result.doneThrough === undefined) return false;
      this.#o.topic.commit(partition, result.doneThrough);
      this.#o.health.committed(partition, nextOffset(result.doneThrough));
      const pending = this.#o.topic.peek(1).some((b) => b.partition === partition) ? 1 : 0;
      this.#setLag(partition, pending);
      return true;
    } catch (err) {
      this.#log.error({ err, partition }, 'batch handler failed');
      return false;
    }
  }

  #setLag(partition: number, lag: number): void {
    this.#o.health.lag(partition, lag);
    this.#o.metrics.partitionLag.set({ topic: this.#o.topic.name, partition: String(partition) }, lag);
  }
}
