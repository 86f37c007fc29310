import type { SpanBatch } from '../../../shared/core/zipkin/index.ts';
import { decodeContentEncoding, identityBody } from './content-encoding.ts';
import { parseMediaType } from './media-type.ts';
import type { Outcome } from './outcome.ts';
import { decodeRequestSpans, type ApiVersion } from './spans.ts';

export type { Outcome } from './outcome.ts';
export type { ApiVersion } from './spans.ts';
export type { MediaType } from './media-type.ts';
export { decodeContentEncoding, parseMediaType, decodeRequestSpans };

export interface SpanRequest {
  readonly version: ApiVersion;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** Largest decoded body (MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
}

/** Content-Type, then Content-Encoding (size-capped), then the Zipkin encoding: the request's spans, accepted and refused. */
export async function decodeSpanRequest(req: SpanRequest): Promise<Outcome<SpanBatch>> {
  const mediaType = parseMediaType(req.contentType);
  if (!mediaType.ok) return mediaType;
  const body = identityBody(req.body, req.contentEncoding, req.maxBodyBytes)
    ?? await decodeContentEncoding(req.body, req.contentEncoding, req.maxBodyBytes);
  if (!body.ok) return body;
  return decodeRequestSpans(body.value, mediaType.value, req.version, req.contentEncoding);
}
