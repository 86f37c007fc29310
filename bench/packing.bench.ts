/**
 * Documents per span, packed vs unpacked, for every simulator flavour (issue 13: target <= 0.55 packed).
 * Traces are translated whole (as the assembly window hands them over) and, for comparison, in the
 * batches a live translator sees without the window (Kafka batches of Envoy flushes, 300 records).
 */
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../shared/core/xray/index.ts';
import { documentsAsIs, packDocuments } from '../shared/core/xray/pack.ts';
import type { Span } from '../shared/core/zipkin/span.ts';
import { FLAVOURS, SidecarBatcher, createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS, type Flavour } from '../services/simulator/index.ts';
import type { BenchFigure } from './translate.bench.ts';

const REQUESTS = 3000;
const KAFKA_BATCH_RECORDS = 300;

interface Traffic { readonly byTrace: Span[][]; readonly inFlushOrder: Span[] }

function trafficOf(flavour: Flavour, errorRate: number): Traffic {
  const prng = createPrng(13);
  const batcher = new SidecarBatcher();
  const byTrace: Span[][] = [];
  const inFlushOrder: Span[] = [];
  const startMs = Date.parse('2026-11-29T12:00:00Z');
  for (let i = 0; i < REQUESTS; i += 1) {
    const nowMs = startMs + i * 10; // 100 requests/s
    const request = generateRequest(prng, nowMs * 1000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, errorRate, faultRate: errorRate / 2 });
    byTrace.push(request.spans.map((s) => s.span));
    request.spans.forEach((s, k) => {
      const batch = batcher.add(s.workload, k % 2, s.span, nowMs);
      if (batch) inFlushOrder.push(...batch.spans);
    });
    for (const b of batcher.due(nowMs)) inFlushOrder.push(...b.spans);
  }
  for (const b of batcher.due(Number.MAX_SAFE_INTEGER)) inFlushOrder.push(...b.spans);
  return { byTrace, inFlushOrder };
}

function documentsOf(groups: readonly Span[][], packing: boolean): number {
  const nowMs = Date.parse('2026-11-29T12:10:00Z');
  const epochs = new MemoryEpochStore();
  let documents = 0;
  for (const spans of groups) {
    const out = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs, epochs });
    documents += packing ? packDocuments(out.documents, DEFAULT_TRANSLATOR_CONFIG.maxDocumentBytes).documents.length : documentsAsIs(out.documents).length;
  }
  return documents;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function runPackingBench(): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const flavour of FLAVOURS) {
    for (const errorRate of [0, 0.05]) {
      const { byTrace, inFlushOrder } = trafficOf(flavour, errorRate);
      const spans = inFlushOrder.length;
      const ratio = (docs: number): number => Math.round((docs / spans) * 1000) / 1000;
      const label = `${flavour}${errorRate > 0 ? ', 5 % errors+faults' : ''}`;
      figures.push({ name: `documents per span, unpacked (${label})`, value: ratio(documentsOf(byTrace, false)), unit: 'docs/span' });
      figures.push({ name: `documents per span, packed per Kafka batch, no window (${label})`, value: ratio(documentsOf(chunks(inFlushOrder, KAFKA_BATCH_RECORDS), true)), unit: 'docs/span' });
      figures.push({ name: `documents per span, packed whole traces (${label})`, value: ratio(documentsOf(byTrace, true)), unit: 'docs/span', target: '<= 0.55' });
    }
  }
  return figures;
}
