/**
 * How `meshray send` cuts a file's spans into POSTs: at most `maxSpans` spans (Envoy's 5 by default) and, past
 * the first span of a POST, at most `maxBytes` of JSON body. Pure.
 */
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { encodeSpanJsonV2 } from '../encode/encode-json-v2.ts';

/**
 * Body bytes a POST of several spans stays under: below the receiver's default MAX_BODY_BYTES (5 MiB,
 * services/receiver/config.ts), so two 3 MB spans go in two POSTs rather than one body the receiver refuses
 * (413, whose answer a sender still writing the body does not read: span-poster.ts closedMidBody).
 */
export const MAX_POST_BYTES = 4 * 1024 * 1024;

/**
 * `spans`, in order, in batches of at most `maxSpans` spans whose JSON v2 body (`[` span `,` span … `]`, as
 * encodeSpansJsonV2 writes it) is at most `maxBytes` UTF-8 bytes; a span larger than that alone goes alone.
 */
export function postBatches(spans: readonly Span[], maxSpans: number, maxBytes: number = MAX_POST_BYTES): Span[][] {
  const batches: Span[][] = [];
  let batch: Span[] = [];
  let bytes = 1; // '['
  for (const span of spans) {
    const size = Buffer.byteLength(encodeSpanJsonV2(span)) + 1; // its ',' or the closing ']'
    if (batch.length > 0 && (batch.length >= maxSpans || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 1;
    }
    batch.push(span);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
