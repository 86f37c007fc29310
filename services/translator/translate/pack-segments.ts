import { packDocuments, type TranslatedDocument } from '../../../shared/core/xray/index.ts';

/**
 * PACKING=on for the segments protocol: the translated documents of a batch, packed by
 * shared/core/xray/pack.ts (each service hop one document, its subsegments nested; the largest split off past
 * `maxDocumentBytes`), as documents the pipeline exports. Each names the spans it carries (`spanIndices`), so
 * commit bookkeeping and dead-lettering stay per span; the rest of its fields are those of its outermost
 * document.
 */
/** A translated document that carries the spans `spanIndices` (ExportDocument's optional field, set). */
export type PackedSegmentDocument = TranslatedDocument & { readonly spanIndices: readonly number[]; readonly segmentIds: readonly string[] };

export function segmentPacker(maxDocumentBytes: number): (documents: readonly TranslatedDocument[]) => { documents: PackedSegmentDocument[]; split: number } {
  return (documents) => {
    const bySegmentId = new Map(documents.map((d) => [d.segmentId, d]));
    const packed = packDocuments(documents, maxDocumentBytes);
    const out: PackedSegmentDocument[] = [];
    for (const p of packed.documents) {
      const outer = bySegmentId.get(p.segmentId);
      if (outer === undefined) throw new Error(`pack.ts returned segment ${p.segmentId}, which it was not given`); // a bug
      // written out: `{ ...outer, spanIndices, … }` costs ≈ 1 µs per document on Node 20 (docs/sizing.md §11)
      const packed = {
        spanIndex: p.spanIndices[0] ?? outer.spanIndex, segmentId: outer.segmentId, traceId: outer.traceId, json: p.json,
        subsegment: outer.subsegment, startMicros: outer.startMicros, spanIndices: p.spanIndices, segmentIds: p.segmentIds,
      };
      out.push(outer.parentId === undefined ? packed : Object.assign(packed, { parentId: outer.parentId }));
    }
    return { documents: out, split: packed.split };
  };
}
