// ChunkQueue and encodeByPartition: what a send is cut from (pure; the publisher's timing is in
// kafka-span-publisher.test.ts). Records are decoded back, so a span lost or doubled in the cutting fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { decodeRecordSpans, toSpanListRecord } from '../../../../../shared/core/span-record/record.ts';
import { spanPartitionOf } from '../../../../../shared/core/span-record/partition.ts';
import { ChunkQueue, encodeByPartition, groupByPartition } from '../../../../../services/receiver/publish/chunk-queue.ts';
import { MAX_RECORD_BYTES, MAX_SPAN_BYTES } from '../../../../../services/receiver/publish/record-limits.ts';
import { NONE_REFUSED } from '../../../../../services/receiver/publish/span-publisher.ts';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const span = (trace: number, id: number, tag = ''): Span =>
  ({ traceId: hex(trace, 32), id: hex(id, 16), name: 'get', timestampMicros: 1_700_000_000_000_000, durationMicros: 10, annotations: [], tags: tag ? { big: tag } : {} });

/** The span-list record's headers (its schema fingerprint), as the publisher sends them. */
const HEADERS = { ...toSpanListRecord([], 0, 0).headers } as Record<string, string>;

function queued(spans: readonly Span[], partitions: number, enqueuedAtMs = 0): ChunkQueue {
  const queue = new ChunkQueue();
  for (const c of encodeByPartition(spans, partitions).chunks) queue.push({ ...c, enqueuedAtMs, timestampMs: 1000, ticket: undefined });
  return queue;
}

const idsOf = (queue: ChunkQueue, take: number): { partition: number | undefined; ids: string[] }[] =>
  queue.recordsOf(take, HEADERS).map((m) => {
    const decoded = decodeRecordSpans({ value: m.value as Buffer, headers: HEADERS });
    if (!decoded.ok) throw new Error('a record does not decode');
    return { partition: m.partition, ids: decoded.value.map((s) => s.id) };
  });

test('groupByPartition keeps every span of a trace together, groups in order of first appearance', () => {
  const spans = [span(1, 1), span(2, 2), span(1, 3), span(3, 4), span(2, 5)];
  const groups = groupByPartition(spans, 4);
  assert.deepEqual(groups.flatMap(([, g]) => g).map((s) => s.id).sort(), spans.map((s) => s.id).sort());
  for (const [partition, group] of groups) for (const s of group) assert.equal(spanPartitionOf(s.traceId, 4), partition);
  assert.equal(new Set(groups.map(([p]) => p)).size, groups.length);
});

test('one record per partition per send, carrying every queued span once', () => {
  const spans = Array.from({ length: 40 }, (_, i) => span(i % 7, i + 1));
  const queue = queued(spans, 3);
  assert.equal(queue.spans, 40);
  const records = idsOf(queue, queue.length);
  assert.equal(new Set(records.map((r) => r.partition)).size, records.length);
  assert.deepEqual(records.flatMap((r) => r.ids).sort(), spans.map((s) => s.id).sort());
  const taken = queue.take(queue.length);
  assert.equal(taken.reduce((n, c) => n + c.count, 0), 40);
  assert.equal(queue.spans, 0);
  assert.equal(queue.oldestEnqueuedAtMs, undefined);
});

test('a partition whose chunks pass MAX_RECORD_BYTES gets a second record, nothing lost', () => {
  const queue = new ChunkQueue();
  const big = 'x'.repeat(40 * 1024);
  const spans = Array.from({ length: 10 }, (_, i) => span(5, i + 1, big));
  for (const s of spans) for (const c of encodeByPartition([s], 1).chunks) queue.push({ ...c, enqueuedAtMs: 0, timestampMs: 0, ticket: undefined });
  const records = idsOf(queue, queue.length);
  assert.ok(records.length >= 2, `${records.length} records`);
  for (const m of queue.recordsOf(queue.length, HEADERS)) assert.ok((m.value as Buffer).length <= MAX_RECORD_BYTES + 64);
  assert.deepEqual(records.flatMap((r) => r.ids), spans.map((s) => s.id));
});

test('within() stops at the span limit, but always takes one chunk', () => {
  const queue = queued([span(1, 1), span(1, 2), span(2, 3), span(3, 4)], 1);
  assert.equal(queue.length, 1); // one partition: one chunk of 4 spans
  assert.equal(queue.within(2), 1);
  const many = new ChunkQueue();
  for (let i = 0; i < 5; i++) for (const c of encodeByPartition([span(i, i + 1), span(i, i + 10)], 1).chunks) many.push({ ...c, enqueuedAtMs: i, timestampMs: 0, ticket: undefined });
  assert.equal(many.within(4), 2);
  assert.equal(many.spansOf(2), 4);
  assert.equal(many.oldestEnqueuedAtMs, 0);
  many.take(2);
  assert.equal(many.oldestEnqueuedAtMs, 2);
  assert.equal(many.spans, 6);
});

test('rehome() moves chunks of partitions the topic no longer has to partition % count', () => {
  const queue = new ChunkQueue();
  for (const [partition, count] of [[0, 1], [5, 2], [7, 3]] as const) {
    queue.push({ partition, items: Buffer.alloc(1), count, enqueuedAtMs: 0, timestampMs: 0, ticket: undefined });
  }
  assert.equal(queue.rehome(4), 5);
  assert.deepEqual(queue.clear().map((c) => c.partition), [0, 1, 3]);
  assert.equal(queue.spans, 0);
});

test('encodeByPartition cuts the long values of a span too large for any record, refuses only one it cannot cut to fit, and answers NONE_REFUSED otherwise', () => {
  const ok = encodeByPartition([span(1, 1), span(2, 2)], 2);
  assert.equal(ok.refusedAlone, NONE_REFUSED);
  assert.equal(ok.trimmed, 0);
  const hugeTag = span(9, 99, 'y'.repeat(1024 * 1024));
  const hugeName: Span = { ...span(9, 98), name: 'n'.repeat(1024 * 1024) };
  const mixed = encodeByPartition([span(9, 1), hugeTag, hugeName, span(9, 2)], 1);
  assert.deepEqual(mixed.refusedAlone.map((s) => s.id), [hugeName.id], 'a name is not cut: refused');
  assert.equal(mixed.trimmed, 1);
  assert.equal(mixed.chunks.reduce((n, c) => n + c.count, 0), 3);
  const cut = mixed.chunks.find((c) => c.count === 1 && c.items.length > MAX_RECORD_BYTES);
  assert.ok(cut !== undefined && cut.items.length <= MAX_SPAN_BYTES, 'the cut span fits a record alone');
});
