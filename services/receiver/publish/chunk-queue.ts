import type { Message } from 'kafkajs';
import { spanPartitionOf } from '../../../shared/core/span-record/partition.ts';
import { toSpanListRecord } from '../../../shared/core/span-record/record.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { trimmedToFit } from '../../../shared/core/zipkin/trim.ts';
import type { AckTicket } from './ack-tickets.ts';
import { NONE_REFUSED } from './span-publisher.ts';
import { encodeSpanItems } from '../../../shared/core/avro/span-codec.ts';
import { MAX_BATCH_PARTITION_BYTES, MAX_RECORD_BYTES, MAX_SPAN_BYTES, withinRecordBytes } from './record-limits.ts';

/** The spans of one publish call that map to one partition, Avro-encoded (span-list items). */
export interface Chunk {
  readonly partition: number;
  readonly items: Buffer;
  readonly count: number;
  /** When it was queued, on the monotonic clock (linger, ACK_TIMEOUT). */
  readonly enqueuedAtMs: number;
  /** When it was queued, on the wall clock: its record's timestamp. */
  readonly timestampMs: number;
  readonly ticket: AckTicket | undefined;
}

/**
 * The spans of a request by partition (spanPartitionOf over `partitions`), in order of first appearance: a
 * request's traces are few, so a list beats a Map.
 */
export function groupByPartition(spans: readonly Span[], partitions: number): [number, Span[]][] {
  if (spans.length === 1) return [[spanPartitionOf((spans[0] as Span).traceId, partitions), [spans[0] as Span]]];
  const groups: [number, Span[]][] = [];
  for (const span of spans) {
    const partition = spanPartitionOf(span.traceId, partitions);
    let group: [number, Span[]] | undefined;
    for (const g of groups) if (g[0] === partition) { group = g; break; }
    if (group === undefined) groups.push([partition, [span]]);
    else group[1].push(span);
  }
  return groups;
}

/** A request's spans as span-list items by partition, the spans too large for any record, and the spans cut to fit one. */
export interface EncodedChunks {
  readonly chunks: readonly { readonly partition: number; readonly items: Buffer; readonly count: number }[];
  readonly refusedAlone: readonly Span[];
  /** Spans whose longest tag and annotation values were cut so that they fit a record (shared/core/zipkin/trim.ts). */
  readonly trimmed: number;
}

const encodeOne = (span: Span): Buffer => encodeSpanItems([span]);

/**
 * Encodes a request's spans (Avro span-list items) by partition; `refusedAlone` is NONE_REFUSED when none is. Only a group over MAX_RECORD_BYTES is cut,
 * down to single spans if need be. A span too large for any record (MAX_SPAN_BYTES) has its longest tag and
 * annotation values cut until it fits (`trimmed`: X-Ray could not hold those values whole anyway); one that
 * still does not fit is refused there, alone, at no cost to the others. Throws what the Avro encoder throws (a
 * span the decoders let through that Avro cannot carry: a defect).
 */
export function encodeByPartition(spans: readonly Span[], partitions: number): EncodedChunks {
  const chunks: { partition: number; items: Buffer; count: number }[] = [];
  let refusedAlone: Span[] | undefined;
  let trimmed = 0;
  for (const [partition, group] of groupByPartition(spans, partitions)) {
    const items = encodeSpanItems(group);
    if (items.length <= MAX_RECORD_BYTES) chunks.push({ partition, items, count: group.length });
    else {
      for (const piece of withinRecordBytes(group, items)) {
        if (piece.items.length <= MAX_SPAN_BYTES) {
          chunks.push({ partition, items: piece.items, count: piece.spans.length });
          continue;
        }
        // withinRecordBytes cuts down to single spans: a piece past MAX_SPAN_BYTES is one span
        const cut = piece.spans.length === 1 ? trimmedToFit(piece.spans[0] as Span, MAX_SPAN_BYTES, encodeOne) : undefined;
        if (cut === undefined) {
          (refusedAlone ??= []).push(...piece.spans);
          continue;
        }
        chunks.push({ partition, items: cut.encoded, count: 1 });
        trimmed += 1;
      }
    }
  }
  return { chunks, refusedAlone: refusedAlone ?? NONE_REFUSED, trimmed };
}

/**
 * The publisher's FIFO of chunks not yet acknowledged by Kafka, and how a send is cut from its head: one
 * span-list record per partition (more when one would exceed MAX_RECORD_BYTES), no key, the partition explicit.
 */
export class ChunkQueue {
  readonly #chunks: Chunk[] = [];
  #spans = 0;

  /** Spans queued. */
  get spans(): number {
    return this.#spans;
  }

  get length(): number {
    return this.#chunks.length;
  }

  /** When the oldest chunk was queued (monotonic ms), undefined when empty. */
  get oldestEnqueuedAtMs(): number | undefined {
    return this.#chunks[0]?.enqueuedAtMs;
  }

  push(chunk: Chunk): void {
    this.#chunks.push(chunk);
    this.#spans += chunk.count;
  }

  /**
   * After the partition count went down (the span topic created again with fewer: Kafka never lowers a count
   * in place), chunks queued for a partition that no longer exists go to `partition % partitions`: sent to
   * their old partition they could never be written, and every retry wrote the rest of the batch again.
   * Returns the spans moved.
   */
  rehome(partitions: number): number {
    let moved = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      if (c.partition < partitions) continue;
      this.#chunks[i] = { ...c, partition: c.partition % partitions };
      moved += c.count;
    }
    return moved;
  }

  /**
   * How many chunks from the head make up at most `spanLimit` spans, and at most MAX_BATCH_PARTITION_BYTES of
   * any one partition (at least one chunk).
   */
  within(spanLimit: number): number {
    let spans = 0;
    let i = 0;
    const bytes = new Map<number, number>();
    for (; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      spans += c.count;
      if (spans > spanLimit) break;
      const partitionBytes = (bytes.get(c.partition) ?? 0) + c.items.length;
      if (partitionBytes > MAX_BATCH_PARTITION_BYTES) break;
      bytes.set(c.partition, partitionBytes);
    }
    return Math.max(1, i);
  }

  /** Spans in the first `take` chunks. */
  spansOf(take: number): number {
    let spans = 0;
    for (let i = 0; i < take; i++) spans += (this.#chunks[i] as Chunk).count;
    return spans;
  }

  /** The first `take` chunks as span-list records, each with `headers`. */
  recordsOf(take: number, headers: Record<string, string>): Message[] {
    const open = new Map<number, { chunks: Buffer[]; count: number; bytes: number; timestampMs: number }>();
    const messages: Message[] = [];
    const close = (partition: number): void => {
      const r = open.get(partition);
      if (r === undefined) return;
      open.delete(partition);
      const record = toSpanListRecord(r.chunks, r.count, r.timestampMs);
      messages.push({ partition, key: null, value: record.value, headers, timestamp: String(r.timestampMs) });
    };
    for (let i = 0; i < take; i++) {
      const c = this.#chunks[i] as Chunk;
      let r = open.get(c.partition);
      if (r !== undefined && r.bytes + c.items.length > MAX_RECORD_BYTES) {
        close(c.partition);
        r = undefined;
      }
      if (r === undefined) open.set(c.partition, { chunks: [c.items], count: c.count, bytes: c.items.length, timestampMs: c.timestampMs });
      else {
        r.chunks.push(c.items);
        r.count += c.count;
        r.bytes += c.items.length;
      }
    }
    for (const partition of [...open.keys()]) close(partition);
    return messages;
  }

  /** Removes and returns the first `take` chunks (Kafka acknowledged them). */
  take(take: number): Chunk[] {
    const taken = this.#chunks.splice(0, take);
    for (const c of taken) this.#spans -= c.count;
    return taken;
  }

  /** Removes and returns everything queued. */
  clear(): Chunk[] {
    return this.take(this.#chunks.length);
  }
}
