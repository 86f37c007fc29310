import type { Issue } from '../../../shared/core/result/result.ts';
import type { EpochStore } from '../../../shared/core/xray/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { PutOutcome, SegmentSink } from './segment-sink.ts';

/** `EXPORT_PROTOCOL`: X-Ray segment documents (PutTraceSegments) or OTLP spans (the `/v1/traces` endpoint). */
export type ExportProtocol = 'segments' | 'otlp';

/** What the pipeline needs of one translated unit (a segment document, an OTLP span). */
export interface ExportDocument {
  /** Index of the input span it came from; a span may yield two. */
  readonly spanIndex: number;
  /** Its id (segment id, OTLP span id): what is remembered as accepted between deliveries. */
  readonly segmentId: string;
  /** The spans a packed document carries (PACKING=on, segments), sorted; absent: `[spanIndex]`. */
  readonly spanIndices?: readonly number[];
  /** The ids of the documents a packed document carries, its own first; absent: `[segmentId]`. */
  readonly segmentIds?: readonly string[];
}

/** The translate stage of one protocol: spans → documents, and the spans that gave none (why, where). */
export interface ExportTranslator<D extends ExportDocument> {
  translate(spans: readonly Span[], local: EpochStore, nowMs: number): Promise<{
    readonly documents: readonly D[];
    readonly rejected: readonly { readonly spanIndex: number; readonly reason: string; readonly issues: readonly Issue[] }[];
  }>;
}

/** The export stage of one protocol: the SegmentSink contract (PutOutcome indices into `documents`) over its documents. */
export interface ExportSink<D extends ExportDocument> {
  put(documents: readonly D[], control?: BatchControl): Promise<PutOutcome>;
}

/** A SegmentSink (documents as JSON strings) as the segments protocol's ExportSink. */
export function segmentExportSink(sink: SegmentSink): ExportSink<{ readonly spanIndex: number; readonly segmentId: string; readonly json: string }> {
  return { put: (documents, control) => sink.put(documents.map((d) => d.json), control) };
}
