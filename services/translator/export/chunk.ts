/** X-Ray's PutTraceSegments takes at most 50 documents per call. */
export const MAX_DOCUMENTS_PER_CALL = 50;
/** Default bound of one call's request body (the JSON-escaped documents). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Bytes a document adds to the request body: its JSON-string form plus a separator. */
export function requestBytesOf(document: string): number {
  return Buffer.byteLength(JSON.stringify(document), 'utf8') + 1;
}

/**
 * Splits document indices into call-sized chunks: at most `maxDocuments` each and at most `maxPayloadBytes`
 * of documents (a single larger document still gets a chunk of its own: X-Ray judges it).
 */
export function chunkDocuments(
  documents: readonly string[],
  limits: { maxDocuments: number; maxPayloadBytes: number },
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  documents.forEach((doc, index) => {
    const size = requestBytesOf(doc);
    if (current.length > 0 && (current.length >= limits.maxDocuments || bytes + size > limits.maxPayloadBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
