/**
 * A/B of meshray's hand-written fast paths against the general tools they replace (`BENCH=ab`), on the Bookinfo
 * fixture's spans, one core, items per CPU second (codec.bench.ts's `rate`): a fast path stays only where it is
 * at least 1.5× faster (issue 9).
 * - Avro writer: span-writer.ts (`writeSpanDirect`) vs avsc's compiled type (`Type.toBuffer` of the record copy);
 * - Avro reader: span-reader.ts (`readSpanDirect`) vs scanDatum + avsc `fromBuffer` + the record → Span copy;
 * - span-list value (v2, the receiver's records): the direct reader vs avsc;
 * - JSON: xray/serialize.ts `zipkinMetadataJsonOf` vs `JSON.stringify` of the same object built per span;
 * - JSON: xray/json.ts `secondsJson` (start_time/end_time from integer microseconds) vs `numberJson(micros / 1e6)`;
 * - the epoch cache (shared/core/collections/recency-map.ts under MemoryEpochStore) vs the same LRU on a plain Map;
 * - kafkajs's record-batch checksum: @node-rs/crc32's native CRC-32C (shared/edge/kafka/batch-checksum.ts) vs
 *   kafkajs's own byte-at-a-time loop, on a span-list record (not meshray's code: a library for a library's loop);
 * - objects written out vs `{ ...x, newProperty }` (slow on Node 20's V8, docs/sizing.md §11): the in-process
 *   topic's delivered record, a waypoint span's tags.
 */
import {
  decodeSpansVia, decodeSpanVia, encodeSpanItems, encodeSpanVia, SPAN_LIST_SCHEMA_FINGERPRINT, SPAN_SCHEMA_FINGERPRINT,
} from '../shared/core/avro/span-codec.ts';
import { spanListValueOf } from '../shared/core/avro/index.ts';
import { zipkinMetadataJsonOf } from '../shared/core/xray/serialize.ts';
import { MemoryEpochStore } from '../shared/core/xray/epoch-store.ts';
import { numberJson, secondsJson } from '../shared/core/xray/json.ts';
import type { Span } from '../shared/core/zipkin/span.ts';
import { toSpanRecords, type DeliveredRecord, type TopicRecord } from '../shared/core/span-record/record.ts';
import { WAYPOINT_TAG } from '../shared/core/xray/istio-naming.ts';
import { KAFKA_BATCH_CHECKSUM, KAFKAJS_CHECKSUM_MODULE } from '../shared/edge/kafka/batch-checksum.ts';
import { createRequire } from 'node:module';
import { bookinfoSpans, rate } from './codec.bench.ts';
import type { BenchFigure } from './translate.bench.ts';

function ab(name: string, unit: string, fast: () => number, general: () => number, generalName = 'avsc / JSON.stringify', fastName = "meshray's own"): BenchFigure[] {
  const a = rate(fast);
  const b = rate(general);
  return [
    { name: `${name}: ${fastName}`, value: a, unit },
    { name: `${name}: general (${generalName})`, value: b, unit },
    { name: `${name}: speed-up`, value: Math.round((a / b) * 100) / 100, unit: '×', target: '>= 1.5 to keep' },
  ];
}

const metadataObject = (s: Span) => ({
  traceId: s.traceId, id: s.id, parentId: s.parentId, kind: s.kind, name: s.name, localEndpoint: s.localEndpoint,
  remoteEndpoint: s.remoteEndpoint, shared: s.shared === true ? true : undefined, annotations: s.annotations.length > 0 ? s.annotations : undefined,
});

/**
 * The epoch cache's LRU with a sliding TTL as it was on a plain Map (insertion order = recency: delete and set
 * to move, iterate from the start to sweep and evict): the general tool RecencyMap replaced.
 */
class MapLruEpochs {
  readonly #entries = new Map<string, { readonly id: string; expiresAtMs: number }>();
  constructor(private readonly maxEntries: number, private readonly ttlMs: number) {}
  recall(key: string, nowMs: number): string | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    this.#entries.delete(key);
    if (nowMs >= e.expiresAtMs) return undefined;
    e.expiresAtMs = nowMs + this.ttlMs;
    this.#entries.set(key, e);
    return e.id;
  }
  remember(key: string, id: string, nowMs: number): void {
    if (this.recall(key, nowMs) !== undefined) return;
    this.sweep(nowMs);
    this.#entries.set(key, { id, expiresAtMs: nowMs + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
  sweep(nowMs: number): void {
    for (const [key, e] of this.#entries) {
      if (nowMs < e.expiresAtMs) return;
      this.#entries.delete(key);
    }
  }
}

/**
 * A partition's epoch cache at steady state: one new trace per ms, each recalled 7 more times over the TTL
 * (20,000 ms: 20,000 live traces, e.g. 330 traces/s on a partition with EPOCH_TTL 60 s), a sweep per trace.
 */
function epochStream(store: { remember(k: string, id: string, nowMs: number): unknown; recall(k: string, nowMs: number): unknown; sweep(nowMs: number): void }, ttlMs: number): () => number {
  const keys = Array.from({ length: 1 << 20 }, (_, i) => i.toString(16).padStart(16, '0'));
  let i = 0;
  return () => {
    for (let n = 0; n < 1000; n += 1, i += 1) {
      const now = i;
      store.remember(keys[i & 0xfffff] as string, 'x', now);
      for (let r = 1; r <= 7; r += 1) {
        const k = i - Math.floor((r * ttlMs) / 8);
        if (k >= 0) store.recall(keys[k & 0xfffff] as string, now);
      }
      store.sweep(now);
    }
    return 1000;
  };
}

/** As InProcessTopic.append builds it. */
const deliveredOf = (r: TopicRecord, partition: number, offset: string): DeliveredRecord => ({
  key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs, partition, offset,
});

export function runAbBench(): BenchFigure[] {
  const spans = bookinfoSpans();
  const bytes = spans.map((s) => encodeSpanVia(s, true));
  const list = spanListValueOf([encodeSpanItems(spans)], spans.length);
  const topicRecords = toSpanRecords(spans, 1_700_000_000_000);
  // Distinct instants (the fixture's spans moved by a prime number of µs each time): V8 caches the string of a
  // number it has just converted, so the fixture's 8 timestamps alone would measure that cache.
  const times = Array.from({ length: 50_000 }, (_, i) => {
    const s = spans[i % spans.length] as Span;
    const start = (s.timestampMicros ?? 0) + i * 7_919;
    return [start, start + (s.durationMicros ?? 0)] as const;
  });
  const require = createRequire(import.meta.url);
  if (!KAFKA_BATCH_CHECKSUM.native) console.error(`[ab] no checksum row: kafkajs keeps its own checksum loop (${KAFKA_BATCH_CHECKSUM.reason ?? '?'})`);
  const nativeCrc = require(KAFKAJS_CHECKSUM_MODULE) as (b: Buffer) => number;
  const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
  let sink = 0;
  const figures = [
    ...ab('Avro encode, Bookinfo spans', 'spans/s',
      () => { for (const s of spans) sink += encodeSpanVia(s, true).length; return spans.length; },
      () => { for (const s of spans) sink += encodeSpanVia(s, false).length; return spans.length; }),
    ...ab('Avro decode, Bookinfo spans', 'spans/s',
      () => { for (const b of bytes) if (!decodeSpanVia(b, SPAN_SCHEMA_FINGERPRINT, true).ok) throw new Error('decode'); return bytes.length; },
      () => { for (const b of bytes) if (!decodeSpanVia(b, SPAN_SCHEMA_FINGERPRINT, false).ok) throw new Error('decode'); return bytes.length; }),
    ...ab('Avro decode of a span list (v2 record), Bookinfo spans', 'spans/s',
      () => { if (!decodeSpansVia(list, SPAN_LIST_SCHEMA_FINGERPRINT, true).ok) throw new Error('decode'); return spans.length; },
      () => { if (!decodeSpansVia(list, SPAN_LIST_SCHEMA_FINGERPRINT, false).ok) throw new Error('decode'); return spans.length; }),
    ...ab('JSON metadata.zipkin of a span', 'spans/s',
      () => { for (const s of spans) sink += zipkinMetadataJsonOf(s).length; return spans.length; },
      () => { for (const s of spans) sink += JSON.stringify(metadataObject(s)).length; return spans.length; }),
    ...ab("JSON start_time and end_time of a span (50,000 distinct instants)", 'spans/s',
      () => { for (const [start, end] of times) sink += secondsJson(start).length + secondsJson(end).length; return times.length; },
      () => { for (const [start, end] of times) sink += numberJson(start / 1e6).length + numberJson(end / 1e6).length; return times.length; },
      'String(micros / 1e6)'),
    ...(KAFKA_BATCH_CHECKSUM.native ? ab(`CRC-32C of a span-list record (${list.length} bytes, ${spans.length} spans)`, 'records/s',
      () => { sink += nativeCrc(list) & 1; return 1; },
      () => { sink += kafkajsCrc(list) & 1; return 1; },
      "kafkajs's own loop", '@node-rs/crc32') : []),
    // Node 20's V8 gives `{ ...x, y }` (a spread first, then a property x lacks) a new hidden class per object
    // (docs/sizing.md §11): the in-process topic's delivered record and a waypoint span's tags, as written now
    // against the spread they replaced.
    ...ab('Delivered record of the in-process topic', 'records/s',
      () => { const kept = topicRecords.map((r) => deliveredOf(r, 3, '42')); sink += kept.length; return kept.length; },
      () => { const kept = topicRecords.map((r) => ({ ...r, partition: 3, offset: '42' })); sink += kept.length; return kept.length; },
      'an object spread, then the new properties'),
    ...ab("A waypoint span's tags plus istio.waypoint", 'spans/s',
      () => { for (const s of spans) sink += Object.keys({ [WAYPOINT_TAG]: 'waypoint.default', ...s.tags }).length; return spans.length; },
      () => { for (const s of spans) sink += Object.keys({ ...s.tags, [WAYPOINT_TAG]: 'waypoint.default' }).length; return spans.length; },
      'the tags spread, then the new key'),
    ...ab('Epoch cache at steady state (20,000 live traces, TTL sweeps)', 'traces/s',
      epochStream(new MemoryEpochStore({ maxEntries: 100_000, ttlMs: 20_000 }), 20_000),
      epochStream(new MapLruEpochs(100_000, 20_000), 20_000), 'a plain Map in recency order'),
  ];
  if (sink === 0) throw new Error('nothing written');
  return figures;
}
