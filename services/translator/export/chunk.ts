/** X-Ray's PutTraceSegments takes at most 50 documents per call. */
export const MAX_DOCUMENTS_PER_CALL = 50;
/** Default bound of one call's request body (the JSON-escaped documents). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Bytes a document adds to the request body: its JSON-string form plus a separator. Equal to
 * `Buffer.byteLength(JSON.stringify(document)) + 1`, counted without building the escaped copy (that
 * copy cost ~13 µs for a 1.2 kB document, this ~1 µs): quotes and backslashes gain a backslash,
 * control characters become `\n`-style or `\u00XX` escapes, lone surrogates `\uDXXX` (UTF-8 counts them as 3).
 */
export function requestBytesOf(document: string): number {
  let extra = 3; // the enclosing quotes and the separator
  for (let i = 0; i < document.length; i++) {
    const c = document.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0xd800 || c > 0xdfff)) continue;
    if (c === 0x22 || c === 0x5c) extra += 1;
    else if (c < 0x20) extra += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
    else if (c <= 0xdbff && i + 1 < document.length && (document.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++; // a pair: 4 bytes either way
    else extra += 3; // lone surrogate: \uDXXX (6) instead of U+FFFD (3)
  }
  return Buffer.byteLength(document, 'utf8') + extra;
}

/**
 * An upper bound of `requestBytesOf` that reads no characters: a UTF-16 unit becomes at most 6 bytes
 * (`\uXXXX`; UTF-8 takes at most 3 per unit), plus the quotes and the separator.
 */
const boundBytesOf = (document: string): number => document.length * 6 + 3;

/**
 * Splits document indices into call-sized chunks: at most `maxDocuments` each and at most `maxPayloadBytes`
 * of documents (a single larger document still gets a chunk of its own: X-Ray judges it).
 *
 * Exact sizes (`requestBytesOf`, which builds each document's escaped copy) are only computed once the
 * chunk's upper bound could pass `maxPayloadBytes`: 50 ordinary documents never get near 1 MB.
 */
export function chunkDocuments(
  documents: readonly string[],
  limits: { maxDocuments: number; maxPayloadBytes: number },
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bound = 0; // upper bound of the current chunk's bytes
  let exact = 0; // exact bytes of current[0, exactCount)
  let exactCount = 0;
  documents.forEach((doc, index) => {
    if (current.length >= limits.maxDocuments) {
      chunks.push(current);
      current = [];
      bound = exact = exactCount = 0;
    }
    const docBound = boundBytesOf(doc);
    if (current.length > 0 && bound + docBound > limits.maxPayloadBytes) {
      for (; exactCount < current.length; exactCount++) exact += requestBytesOf(documents[current[exactCount] ?? 0] ?? '');
      const size = requestBytesOf(doc);
      if (exact + size > limits.maxPayloadBytes) {
        chunks.push(current);
        current = [];
        bound = exact = exactCount = 0;
      } else {
        current.push(index);
        exact += size;
        exactCount += 1;
        bound = exact;
        return;
      }
    }
    current.push(index);
    bound += docBound;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
