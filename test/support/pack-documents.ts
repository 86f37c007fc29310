/**
 * Packs unpacked X-Ray documents (one per span, as the goldens and the console's generated traces hold them)
 * with the translator's own packing (`packDocuments` of shared/core/xray, PACKING=on), as if they had been
 * translated in one pass: what a translator with the assembly window stores for a whole trace.
 */
import { packDocuments, type TranslatedDocument } from '../../shared/core/xray/index.ts';

interface Head { id: string; trace_id: string; parent_id?: string; type?: string; start_time: number }

/** The packed documents (JSON strings) of `documents` (JSON strings, one span each), 64 KB at most each. */
export function packJsonDocuments(documents: readonly string[]): string[] {
  const translated = documents.map((json, spanIndex): TranslatedDocument => {
    const d = JSON.parse(json) as Head;
    return {
      spanIndex, segmentId: d.id, traceId: d.trace_id, json, subsegment: d.type === 'subsegment',
      startMicros: Math.round(d.start_time * 1e6), ...(d.parent_id !== undefined ? { parentId: d.parent_id } : {}),
    };
  });
  return packDocuments(translated, 64 * 1024).documents.map((d) => d.json);
}
