/**
 * The batch handler with an assembly window in front of the pipeline (ASSEMBLY=on): a batch's records are
 * held by trace and handed to the pipeline (`TranslatorPipeline.exportBatch`) a whole trace at a time once
 * the trace is due (assembly-window.ts; a span-list record carrying several traces is split by trace first,
 * recordsByTraceOf, its parts keep its offset and each span's index in it, sourceSpanIndexes, which a dead letter names), so packing and cross-span linking see every span of it. Traces are
 * flushed from `handle` and from a timer; offsets are committed only below the lowest record still held or
 * being exported (and never inside a trace exported together), through the batch's result or, from the
 * timer, the source's OffsetCommitter. Commit-after-export stays true; a crash or rebalance redelivers
 * what was held. Records arriving after their trace left are exported on their own and counted late.
 */
import { sleepMs, type Sleep } from '../../../shared/edge/resilience/clock.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import type { DeliveredRecord, RecordBatch } from '../../../shared/edge/transport/index.ts';
import { recordsByTraceOf } from '../../../shared/core/span-record/by-trace.ts';
import type { BatchControl, BatchHandler, BatchResult, OffsetCommitter } from '../consume/span-source.ts';
import type { ExportDocument } from '../export/export-document.ts';
import type { TranslatorPipeline } from '../pipeline.ts';
import type { AssemblyMetrics } from './assembly-metrics.ts';
import type { SampledTraces } from '../sample/trace-sampler.ts';
import { AssemblyWindow, type DueTrace, type WindowSettings } from './assembly-window.ts';

export interface AssemblingHandlerOptions {
  readonly window: WindowSettings;
  readonly pipeline: Pick<TranslatorPipeline<ExportDocument>, 'exportBatch' | 'committed' | 'revoke'>;
  readonly metrics: AssemblyMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  /** SAMPLING=on (services/translator/sample/): splits due traces into kept and sampled out, whole traces. */
  readonly sampler?: { sample(due: readonly DueTrace[]): Promise<SampledTraces> };
  /** How often held traces are looked at from the timer; default a quarter of `idleMs`, 50 ms to 1 s. */
  readonly tickMs?: number;
  /** How long a batch refused by a full window waits before the source fetches it again; default 1 s. */
  readonly fullPauseMs?: number;
  /** Default a real timer. */
  readonly sleep?: Sleep;
  /**
   * Due traces are handed to the pipeline in groups of whole traces of at most this many bytes of record
   * values (a trace larger than that alone), one group after another; default EXPORT_GROUP_BYTES.
   */
  readonly exportGroupBytes?: number;
}

/**
 * The default export group: about what one fetch hands a partition without the window (the consumer's
 * maxBytesPerPartition, 128 KiB). Exporting a drain's whole due backlog at once (tens of thousands of spans
 * per tick) kept every decoded span and translated document of it alive until its last call returned: V8
 * promoted them to the old generation (≈ 470 MiB per 100,000 spans against ≈ 50–190 MiB without the window),
 * and copying them cost its helper threads and the kernel more than the main thread (issue 9, docs/sizing.md).
 */
export const EXPORT_GROUP_BYTES = 128 * 1024;

/** `due` in consecutive groups of whole traces, each of at most `maxBytes` of record values (or one trace). */
export function exportGroupsOf(due: readonly DueTrace[], maxBytes: number): DueTrace[][] {
  const groups: DueTrace[][] = [];
  let group: DueTrace[] = [];
  let bytes = 0;
  for (const d of due) {
    let size = 0;
    for (const r of d.records) size += r.value.length;
    if (group.length > 0 && bytes + size > maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(d);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

export class AssemblingHandler implements BatchHandler {
  readonly #o: AssemblingHandlerOptions;
  readonly #log: Logger;
  readonly #window: AssemblyWindow;
  readonly #controls = new Map<number, { readonly topic: string; readonly control: BatchControl }>();
  #committer: OffsetCommitter | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking: Promise<void> | undefined;
  #paused = false;
  /** Partitions whose last export was not finished (put back to retry): X-Ray down or throttling. */
  readonly #stalled = new Set<number>();

  constructor(options: AssemblingHandlerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'assembly' });
    this.#window = new AssemblyWindow(options.window);
    const window = this.#window;
    const clock = options.clock;
    options.metrics.observe({
      traceCount: () => window.traceCount(), get spans() { return window.spans; }, oldestAgeMs: () => window.oldestAgeMs(clock()),
    });
  }

  attach(committer: OffsetCommitter): void {
    this.#committer = committer;
    const tickMs = this.#o.tickMs ?? Math.min(1000, Math.max(50, Math.floor(this.#o.window.idleMs / 4)));
    clearInterval(this.#timer);
    this.#timer = setInterval(() => { void this.tick(); }, tickMs);
    this.#timer.unref?.();
  }

  detach(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  revoke(partitions: readonly number[]): void {
    this.#window.drop(partitions);
    for (const p of partitions) {
      this.#controls.delete(p);
      this.#stalled.delete(p);
    }
    this.#o.pipeline.revoke(partitions);
  }

  async handle(batch: RecordBatch, control: BatchControl): Promise<BatchResult> {
    const { records, partition, topic } = batch;
    const last = records.at(-1);
    if (last === undefined) return {};
    if (records[0] !== undefined && this.#window.offsetsWentBack(records[0])) {
      this.#log.warn({ topic, partition, offset: records[0].offset }, 'the partition\'s offsets started over (the span topic deleted and created again?): what was held of it is exported now and its records are read as new');
      // The window holds the only copy of what it read from the old topic: export it before forgetting the
      // partition (found by the diff review: dropping lost it).
      await this.#export(topic, partition, this.#window.takeAll(partition, this.#o.clock()), control);
      this.revoke([partition]);
    }
    this.#controls.set(partition, { topic, control });
    const nowMs = this.#o.clock();
    if (await this.#refused(topic, partition, nowMs, control)) return {};
    const late = new Map<string, DeliveredRecord[]>();
    for (const record of records) {
      const parts = recordsByTraceOf(record);
      const offered = this.#window.offerParts(parts, nowMs);
      if (offered === 'known') continue;
      parts.forEach((r, i) => { if (offered[i] === 'late') late.set(r.key, [...(late.get(r.key) ?? []), r]); });
    }
    if (late.size > 0) {
      this.#o.metrics.late.inc([...late.values()].reduce((n, l) => n + l.length, 0));
      const generation = this.#window.generationOf(partition);
      await this.#export(topic, partition, [...late.entries()].map(([key, rs]) => ({ key, reason: 'late' as const, records: rs, generation })), control);
    }
    await this.#export(topic, partition, this.#window.takeDue(nowMs, partition), control);
    const doneThrough = this.#window.commitPoint(partition);
    if (doneThrough === undefined) return { heldThrough: last.offset };
    this.#window.committed(partition, doneThrough);
    this.#o.pipeline.committed(partition, doneThrough);
    return { doneThrough, heldThrough: last.offset };
  }

  /**
   * Backpressure: the batch is not taken in while its partition cannot export (its last export was put back
   * to retry: X-Ray down or throttling; `export_failing`), or while the window holds ASSEMBLY_MAX_SPANS and
   * cannot make room (`window_full`). What this partition has due is tried first; if that does not clear
   * the condition, then after a pause, nothing resolved, the source fetches the batch again. So the backlog
   * stays in Kafka, and memory at what was held when exports began to fail, however long the outage (a
   * 15-minute one grew a translator to 972 MB when the window took every batch, and to its bound of
   * ASSEMBLY_MAX_SPANS with only the `window_full` condition).
   */
  async #refused(topic: string, partition: number, nowMs: number, control: BatchControl): Promise<boolean> {
    const full = (): boolean => this.#window.spans >= this.#o.window.maxSpans;
    if (!full() && !this.#stalled.has(partition)) return false;
    await this.#export(topic, partition, this.#window.takeDue(nowMs, partition), control);
    const reason = full() ? 'window_full' : this.#stalled.has(partition) ? 'export_failing' : undefined;
    if (reason === undefined) return false;
    this.#o.metrics.refusedBatches.inc({ reason });
    if (control.isActive()) await (this.#o.sleep ?? sleepMs)(this.#o.fullPauseMs ?? 1000);
    return true;
  }

  /** Flushes what is due in every partition and commits what that allows (the timer calls it). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => { this.#ticking = undefined; });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const nowMs = this.#o.clock();
    // While the group rebalances nothing is fetched: a trace's next spans may be waiting in the topic.
    // Flush nothing, and restart every trace's idle clock once fetching resumes.
    if (this.#committer?.isStable() === false) {
      this.#paused = true;
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      this.#window.touchAll(nowMs);
    }
    const byPartition = new Map<number, DueTrace[]>();
    for (const due of this.#window.takeDue(nowMs)) {
      const partition = due.records[0]?.partition;
      if (partition !== undefined) byPartition.set(partition, [...(byPartition.get(partition) ?? []), due]);
    }
    await Promise.all([...byPartition].map(async ([partition, due]) => {
      const held = this.#controls.get(partition);
      if (held === undefined || !held.control.isActive()) {
        for (const d of due) this.#window.putBack(d.records, d.generation, nowMs, false);
        return;
      }
      await this.#export(held.topic, partition, due, held.control);
    }));
    const committer = this.#committer;
    if (committer === undefined) return;
    for (const partition of this.#window.partitions) {
      const offset = this.#window.commitPoint(partition);
      if (offset === undefined || this.#controls.get(partition)?.control.isActive() !== true) continue;
      try {
        await committer.commit(partition, offset);
        this.#window.committed(partition, offset);
        this.#o.pipeline.committed(partition, offset);
      } catch (err) {
        this.#log.debug({ partition, offset, err: (err as Error).message }, 'commit from the assembly timer failed; the next batch or tick commits');
      }
    }
  }

  /**
   * Hands due traces to the pipeline in groups (exportGroupsOf), one after another; what a group did not
   * finish is put back (retried), and so are the groups after it, untried.
   */
  async #export(topic: string, partition: number, flushed: readonly DueTrace[], control: BatchControl): Promise<void> {
    if (flushed.length === 0) return;
    for (const d of flushed) if (d.reason !== 'retry' && d.reason !== 'late') this.#o.metrics.flushed.inc({ reason: d.reason });
    // --- SAMPLING hook: a sampled-out trace is done (committed) without export, each trace on its own.
    let due = flushed;
    if (this.#o.sampler !== undefined) {
      const sampled = await this.#o.sampler.sample(flushed);
      for (const d of sampled.drop) this.#window.finished(d.records, d.generation);
      due = sampled.keep;
      if (due.length === 0) return;
    }
    // --- end of SAMPLING hook
    const groups = exportGroupsOf(due, this.#o.exportGroupBytes ?? EXPORT_GROUP_BYTES);
    for (const [i, group] of groups.entries()) {
      if (await this.#exportGroup(topic, partition, group, control)) continue;
      if (control.isActive()) for (const d of groups.slice(i + 1).flat()) this.#window.putBack(d.records, d.generation, this.#o.clock());
      // an export that outlived its partition's revoke says nothing about the partition's next owner
      if (control.isActive() && this.#window.isCurrent(partition, group[0]?.generation ?? -1)) this.#stalled.add(partition);
      return;
    }
    if (this.#window.isCurrent(partition, due[0]?.generation ?? -1)) this.#stalled.delete(partition);
  }

  /** One group of due traces as one pipeline batch; false when some of it was not finished (put back). */
  async #exportGroup(topic: string, partition: number, due: readonly DueTrace[], control: BatchControl): Promise<boolean> {
    const records = due.flatMap((d) => d.records).sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    let result: BatchResult;
    try {
      result = await this.#o.pipeline.exportBatch({ topic, partition, records }, control);
    } catch (err) {
      this.#log.error({ partition, err }, 'export of assembled traces failed unexpectedly; they are retried');
      result = {};
    }
    // Done: the first `doneRecords` of the batch, by position. Parts of one span-list record share its offset,
    // so "at or below doneThrough" would also count a poison part cut after a good part of the same offset as
    // done: it was neither exported nor dead-lettered, and the offset was committed past it.
    const done = new Set(records.slice(0, result.doneRecords ?? 0));
    let complete = true;
    for (const d of due) {
      const finished = d.records.filter((r) => done.has(r));
      this.#window.finished(finished, d.generation);
      if (finished.length === d.records.length) continue;
      complete = false;
      if (control.isActive()) this.#window.putBack(d.records.filter((r) => !done.has(r)), d.generation, this.#o.clock());
    }
    return complete;
  }
}
