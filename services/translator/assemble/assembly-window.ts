/**
 * The assembly window: per partition, span records held by trace (the record key, spanRecordKeyOf: the
 * trace id's low 64 bits) until the trace is complete enough to translate whole. No I/O, no clock of its
 * own (`nowMs` is an input). It also keeps what the commit point needs: the offsets delivered, held,
 * being exported, and done (exported or dead-lettered) but not committed yet.
 *
 * A trace is due once no record of it arrived for `idleMs` (of processing time, or of receive time: its
 * partition's watermark, the newest Kafka record timestamp delivered, is `idleMs` past the trace's newest
 * record timestamp), once its first record is `maxAgeMs` old, or,
 * while more than `maxSpans` records are held in all partitions, oldest first ("pressure"). Traces taken
 * for export are remembered for `maxAgeMs` (at most `maxSpans` of them) so that a record arriving after
 * its trace left is recognised as late.
 */
import type { DeliveredRecord } from '../../../shared/core/span-record/record.ts';
import { RecencyMap } from '../../../shared/core/collections/recency-map.ts';
import { PendingOffsets } from './pending-offsets.ts';

export type FlushReason = 'idle' | 'max_age' | 'pressure' | 'retry' | 'late' | 'reset';

export interface WindowSettings {
  /** ASSEMBLY_IDLE: a trace is flushed once no span of it arrived for this long. */
  readonly idleMs: number;
  /** ASSEMBLY_MAX_AGE: a trace is flushed once its first span arrived this long ago. */
  readonly maxAgeMs: number;
  /** ASSEMBLY_MAX_SPANS: records held in all partitions before the oldest traces are flushed early. */
  readonly maxSpans: number;
}

interface HeldTrace {
  readonly key: string;
  readonly firstAtMs: number;
  lastAtMs: number;
  /** Newest Kafka timestamp (receive time, ms) of its records; 0 when none has one. */
  lastReceivedMs: number;
  /** In offset order (records are delivered in offset order per partition). */
  readonly records: DeliveredRecord[];
  /** Put back after a failed export: due at once. */
  retry: boolean;
}

interface PartitionState {
  /** Which ownership of the partition this state is: a new one after every drop (revoke) and reassignment. */
  readonly generation: number;
  readonly traces: Map<string, HeldTrace>;
  /**
   * Offsets held (in `traces`) or taken for export and not finished → how many parts of the record are
   * (a span-list record carrying several traces is held as one part per trace, recordsByTraceOf).
   */
  readonly pending: PendingOffsets;
  /** Offsets exported or dead-lettered, above the committed offset. */
  readonly done: Set<string>;
  /** Lowest and highest offset of each group exported together, until committed past its highest. */
  readonly units: { readonly lo: bigint; readonly hi: bigint }[];
  /** Trace keys taken for export → when; oldest first. */
  readonly flushed: RecencyMap<number>;
  /** Highest offset delivered. */
  seenThrough: bigint | undefined;
  /**
   * Newest Kafka record timestamp delivered (receive time, ms; 0: none). In a backlog (a lag, a catch-up
   * after an X-Ray outage) records arrive much faster than they were received: a trace is complete once
   * the partition's stream has moved `idleMs` of receive time past it, so the window holds about
   * `idleMs` of traffic instead of whatever the consumer can fetch in `idleMs` (a 5-minute outage's
   * catch-up peaked at 534 MB RSS, a 15-minute one at 1,140 MB, before).
   */
  watermarkMs: number;
  /** Offset committed through (inclusive). */
  committedThrough: bigint | undefined;
}

export interface DueTrace {
  readonly key: string;
  readonly reason: FlushReason;
  readonly records: readonly DeliveredRecord[];
  /**
   * The partition's generation when the trace was taken (`generationOf`). An export that ends after its
   * partition was revoked, and perhaps assigned back, must not touch the new owner's state: `finished` and
   * `putBack` ignore records of another generation.
   */
  readonly generation: number;
}

export class AssemblyWindow {
  readonly #s: WindowSettings;
  readonly #partitions = new Map<number, PartitionState>();
  #spans = 0;
  #generations = 0;

  constructor(settings: WindowSettings) {
    this.#s = settings;
  }

  get spans(): number {
    return this.#spans;
  }

  get partitions(): number[] {
    return [...this.#partitions.keys()];
  }

  /**
   * Takes in one delivered record: `held` (kept with its trace), `late` (its trace already left: export it
   * on its own now) or `known` (a redelivery of a record held, in export, or done: ignore it).
   */
  offer(record: DeliveredRecord, nowMs: number): 'held' | 'late' | 'known' {
    const offered = this.offerParts([record], nowMs);
    return offered === 'known' ? 'known' : offered[0] ?? 'known';
  }

  /**
   * `offer` for the parts of one delivered record (same partition and offset, one per trace:
   * recordsByTraceOf): `known` for a redelivery, else each part's fate. The offset is done once every part is.
   */
  offerParts(parts: readonly DeliveredRecord[], nowMs: number): 'known' | ('held' | 'late')[] {
    const first = parts[0];
    if (first === undefined) return [];
    const p = this.#partition(first.partition);
    const offset = BigInt(first.offset);
    if (p.seenThrough === undefined || offset > p.seenThrough) p.seenThrough = offset;
    if (first.timestampMs > p.watermarkMs) p.watermarkMs = first.timestampMs;
    if (p.pending.has(first.offset) || p.done.has(first.offset) || (p.committedThrough !== undefined && offset <= p.committedThrough)) return 'known';
    this.#forgetFlushed(p, nowMs);
    return parts.map((record) => {
      if (p.flushed.has(record.key)) {
        p.pending.add(record.offset);
        return 'late';
      }
      this.#hold(p, record, nowMs, false);
      return 'held';
    });
  }

  /**
   * True when `record` shows that the partition's offsets started over within one ownership: its offset is at
   * or below the committed one, yet it is newer (Kafka timestamp) than every record delivered so far, so it
   * cannot be a redelivery. Kafka hands out offsets from 0 again when the topic was deleted and created again
   * (kafkajs resets its position to the start with no rebalance: "Offset out of range"), and such records
   * would otherwise be taken for redeliveries (`known`) and committed past unexported (found by review:
   * 1,032 accepted spans lost). The caller drops the partition (`drop`) and reads on as a new ownership.
   */
  offsetsWentBack(record: DeliveredRecord): boolean {
    const p = this.#partitions.get(record.partition);
    if (p === undefined || p.committedThrough === undefined) return false;
    return BigInt(record.offset) <= p.committedThrough && record.timestampMs > p.watermarkMs;
  }

  /** True while the partition is held in `generation` (not revoked since). */
  isCurrent(partition: number, generation: number): boolean {
    return this.#partitions.get(partition)?.generation === generation;
  }

  /** The partition's current generation (a new one is made for a partition not held). */
  generationOf(partition: number): number {
    return this.#partition(partition).generation;
  }

  /**
   * Puts records taken in `generation` back: after a failed export they are due again at once (`retry`); else
   * (the partition was not being fetched) they wait another ASSEMBLY_IDLE.
   */
  putBack(records: readonly DeliveredRecord[], generation: number, nowMs: number, retry = true): void {
    for (const r of records) {
      const p = this.#partitions.get(r.partition);
      // revoked meanwhile (and perhaps assigned back): the records are read again from the committed offset
      if (p === undefined || p.generation !== generation) continue;
      p.pending.release(r.offset);
      p.flushed.delete(r.key);
      this.#hold(p, r, nowMs, retry);
    }
  }

  /** The records (of one partition, taken in `generation`) were exported together, or dead-lettered. */
  finished(records: readonly DeliveredRecord[], generation: number): void {
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    let p: PartitionState | undefined;
    for (const r of records) {
      p = this.#partitions.get(r.partition);
      if (p === undefined || p.generation !== generation) return; // revoked meanwhile: not this owner's record
      if (!p.pending.has(r.offset)) continue;
      if (p.pending.release(r.offset) === 0) p.done.add(r.offset);
      const offset = BigInt(r.offset);
      if (lo === undefined || offset < lo) lo = offset;
      if (hi === undefined || offset > hi) hi = offset;
    }
    if (p !== undefined && lo !== undefined && hi !== undefined && hi > lo) p.units.push({ lo, hi });
  }

  /**
   * Takes the traces due at `nowMs` out of the window (all partitions, or one), oldest first; they stay
   * pending for the commit point until `finished` or `putBack`.
   */
  takeDue(nowMs: number, only?: number): DueTrace[] {
    const due: DueTrace[] = [];
    // Taking traces only lowers #spans: without pressure now there is none after the scan, and the traces not
    // due need no list (the handler scans a partition at every batch: an object per held trace each time).
    const pressure = this.#spans > this.#s.maxSpans;
    const candidates: { p: PartitionState; t: HeldTrace }[] = [];
    for (const [partition, p] of this.#partitions) {
      if (only !== undefined && partition !== only) continue;
      for (const t of p.traces.values()) {
        const idle = nowMs - t.lastAtMs >= this.#s.idleMs || (t.lastReceivedMs > 0 && p.watermarkMs - t.lastReceivedMs >= this.#s.idleMs);
        const reason = t.retry ? 'retry' : nowMs - t.firstAtMs >= this.#s.maxAgeMs ? 'max_age' : idle ? 'idle' : undefined;
        if (reason !== undefined) due.push(this.#take(p, t, reason, nowMs));
        else if (pressure) candidates.push({ p, t });
      }
    }
    if (pressure && this.#spans > this.#s.maxSpans) {
      // Pressure: oldest first until 90 % of the bound, whichever partition they are in.
      candidates.sort((a, b) => a.t.firstAtMs - b.t.firstAtMs);
      for (const c of candidates) {
        if (this.#spans <= this.#s.maxSpans * 0.9) break;
        due.push(this.#take(c.p, c.t, 'pressure', nowMs));
      }
    }
    return due;
  }

  /**
   * Takes every trace held for `partition`, due or not (reason `reset`): its offsets started over
   * (`offsetsWentBack`), and the window holds the only copy of what it read from the deleted topic.
   */
  takeAll(partition: number, nowMs: number): DueTrace[] {
    const p = this.#partitions.get(partition);
    if (p === undefined) return [];
    return [...p.traces.values()].map((t) => this.#take(p, t, 'reset', nowMs));
  }

  /** Every held trace counts as active at `nowMs` (after a pause in fetching: a rebalance). */
  touchAll(nowMs: number): void {
    for (const p of this.#partitions.values()) for (const t of p.traces.values()) t.lastAtMs = Math.max(t.lastAtMs, nowMs);
  }

  /**
   * The offset (inclusive) the partition may be committed through: just below the lowest record still
   * pending, else the highest delivered, and never inside a group exported together (a trace): after a
   * crash or rebalance the next owner then reads a trace again whole or not at all, and its deterministic
   * documents overwrite. Undefined when that is not beyond the last commit. Record it with `committed`.
   */
  commitPoint(partition: number): string | undefined {
    const p = this.#partitions.get(partition);
    if (p === undefined || p.seenThrough === undefined) return undefined;
    const lowest = p.pending.lowest();
    let through = lowest === undefined ? p.seenThrough : BigInt(lowest) - 1n;
    for (let moved = true; moved;) {
      moved = false;
      for (const u of p.units) {
        if (u.lo <= through && u.hi > through) {
          through = u.lo - 1n;
          moved = true;
        }
      }
    }
    if (through < 0n || (p.committedThrough !== undefined && through <= p.committedThrough)) return undefined;
    return through.toString();
  }

  committed(partition: number, offset: string): void {
    const p = this.#partitions.get(partition);
    if (p === undefined) return;
    const through = BigInt(offset);
    if (p.committedThrough !== undefined && through <= p.committedThrough) return;
    p.committedThrough = through;
    for (const o of p.done) if (BigInt(o) <= through) p.done.delete(o);
    for (let i = p.units.length - 1; i >= 0; i -= 1) if ((p.units[i]?.hi ?? 0n) <= through) p.units.splice(i, 1);
  }

  /** The partitions were taken away: forget them whole (the next owner reads what was held again). */
  drop(partitions: readonly number[]): void {
    for (const partition of partitions) {
      const p = this.#partitions.get(partition);
      if (p === undefined) continue;
      for (const t of p.traces.values()) this.#spans -= t.records.length;
      this.#partitions.delete(partition);
    }
  }

  /** Traces held, over every partition: one read per partition. */
  traceCount(): number {
    let traces = 0;
    for (const p of this.#partitions.values()) traces += p.traces.size;
    return traces;
  }

  /** Milliseconds since the oldest held trace's first record arrived (0 when none): scans every held trace. */
  oldestAgeMs(nowMs: number): number {
    let oldest = nowMs;
    for (const p of this.#partitions.values()) for (const t of p.traces.values()) if (t.firstAtMs < oldest) oldest = t.firstAtMs;
    return nowMs - oldest;
  }

  #partition(partition: number): PartitionState {
    let p = this.#partitions.get(partition);
    if (p === undefined) {
      this.#generations += 1;
      p = { generation: this.#generations, traces: new Map(), pending: new PendingOffsets(), done: new Set(), units: [], flushed: new RecencyMap(), seenThrough: undefined, committedThrough: undefined, watermarkMs: 0 };
      this.#partitions.set(partition, p);
    }
    return p;
  }

  #hold(p: PartitionState, record: DeliveredRecord, nowMs: number, retry: boolean): void {
    let t = p.traces.get(record.key);
    if (t === undefined) {
      t = { key: record.key, firstAtMs: nowMs, lastAtMs: nowMs, lastReceivedMs: 0, records: [], retry };
      p.traces.set(record.key, t);
    }
    t.lastAtMs = nowMs;
    if (record.timestampMs > t.lastReceivedMs) t.lastReceivedMs = record.timestampMs;
    t.retry ||= retry;
    t.records.push(record);
    p.pending.add(record.offset);
    this.#spans += 1;
  }

  #take(p: PartitionState, t: HeldTrace, reason: FlushReason, nowMs: number): DueTrace {
    p.traces.delete(t.key);
    this.#spans -= t.records.length;
    p.flushed.set(t.key, nowMs);
    if (p.flushed.size > this.#s.maxSpans) p.flushed.shift();
    const records = reason === 'retry' ? [...t.records].sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1)) : t.records;
    return { key: t.key, reason, records, generation: p.generation };
  }

  #forgetFlushed(p: PartitionState, nowMs: number): void {
    for (let oldest = p.flushed.oldest(); oldest !== undefined && nowMs - oldest.value >= this.#s.maxAgeMs; oldest = p.flushed.oldest()) {
      p.flushed.shift();
    }
  }
}
