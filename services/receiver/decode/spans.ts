import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { Result } from '../../../shared/core/result/result.ts';
import { compressionHint, decodeSpanBatch, detectFormat, utf16Hint, type SpanBatch, type ZipkinFormat } from '../../../shared/core/zipkin/index.ts';
import type { MediaType } from './media-type.ts';
import { accept, refuse, type Outcome } from './outcome.ts';

/** The Zipkin API version of the route a body was posted to. */
export type ApiVersion = 'v1' | 'v2';

const malformed = (message: string, result?: Result<unknown>) =>
  refuse<SpanBatch>(new MeshrayError('BODY_MALFORMED', message, result && !result.ok ? { issues: result.issues } : undefined));

/**
 * Per-span isolation: a body that parses is accepted span by span (the refused ones are named in the
 * batch); only a body that cannot be parsed, or whose every span is refused, is BODY_MALFORMED.
 */
const decodeAs = (body: Buffer, format: ZipkinFormat): Outcome<SpanBatch> => {
  const r = decodeSpanBatch(body, format);
  if (!r.ok) return malformed(`body is not valid Zipkin ${format} spans`, r);
  const { spans, refused } = r.value;
  if (spans.length === 0 && refused.length > 0) {
    const issues = refused.flatMap((x) => x.issues);
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : '';
    return refuse(new MeshrayError('BODY_MALFORMED',
      `every span of the body is invalid (Zipkin ${format})${first === undefined ? '' : `: ${first.path} ${first.message}${more}`}`,
      { issues }));
  }
  return accept(r.value);
};

/**
 * Decodes a (decompressed) body posted to `/api/<version>/spans`, as Zipkin's own server does, span by span
 * (`contentEncoding`: the request's, already undone, only to name a body compressed twice):
 * v2 takes v2 JSON or protobuf, v1 takes v1 JSON. Without a Content-Type the body is sniffed. A span in the
 * other version's JSON is refused alone, naming the route to use (decode-json-v1/v2: `reportV2SpanInV1`,
 * `reportV1SpanInV2`), so its neighbours are still published; a malformed body lists each issue
 * (`spans[3].traceId: ...`).
 */
export function decodeRequestSpans(body: Buffer, mediaType: MediaType, version: ApiVersion, contentEncoding?: string): Outcome<SpanBatch> {
  if (body.length === 0) return malformed('request body is empty: expected a list of spans');
  // Compressed data left after the Content-Encoding was undone: the sender compressed twice (curl --compressed
  // of a .gz file, a proxy that compresses again). "send it with Content-Encoding: gzip" would be wrong advice.
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && compressionHint(body) !== undefined) {
    return malformed(`body is still compressed after its Content-Encoding (${encoding}) was undone: it was compressed twice; compress it once`);
  }
  if (version === 'v2') {
    if (mediaType === 'proto') return decodeAs(body, 'proto-v2');
    const detected = detectFormat(body, mediaType === 'json' ? 'application/json' : undefined);
    if (detected === undefined) {
      const hint = compressionHint(body) ?? utf16Hint(body);
      return malformed(`body is neither Zipkin JSON nor protobuf${hint === undefined ? '' : `: ${hint}`}`);
    }
    // A JSON Content-Type is believed: a body that only resembles protobuf gets JSON errors. A body that
    // looks like v1 is read as v2 too: each v1 span in it is refused alone.
    return decodeAs(body, mediaType === 'json' || detected === 'json-v1' ? 'json-v2' : detected);
  }
  if (mediaType === 'proto') {
    return refuse(new MeshrayError('UNSUPPORTED_MEDIA_TYPE',
      'POST /api/v1/spans takes Zipkin v1 JSON only; send protobuf to /api/v2/spans'));
  }
  const detected = detectFormat(body, 'application/json');
  if (detected === 'proto-v2' && mediaType === 'unspecified') {
    return malformed('body looks like Zipkin protobuf: POST /api/v1/spans takes Zipkin v1 JSON; send protobuf to /api/v2/spans');
  }
  return decodeAs(body, 'json-v1');
}
