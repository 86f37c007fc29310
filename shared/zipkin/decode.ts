/** Decode stage: a Zipkin span body in any supported encoding → model spans. */
import { fail, type Result } from '../result/result.ts';
import type { Span } from './span.ts';
import type { ZipkinFormat } from './detect.ts';
import { decodeJsonV1 } from './decode-json-v1.ts';
import { decodeJsonV2 } from './decode-json-v2.ts';
import { decodeProtoV2 } from './decode-proto-v2.ts';

export { detectFormat, type ZipkinFormat } from './detect.ts';

/**
 * Decodes and validates a whole body. Never throws for bad input: a body with any invalid span fails as a
 * whole, with every issue found (`spans[3].traceId: ...`). Size limits are the caller's business.
 */
export function decodeSpans(body: Uint8Array | string, format: ZipkinFormat): Result<Span[]> {
  switch (format) {
    case 'json-v2':
      return decodeJsonV2(body);
    case 'json-v1':
      return decodeJsonV1(body);
    case 'proto-v2':
      return decodeProtoV2(body);
    default:
      return fail([{ path: '', message: `unknown Zipkin format ${JSON.stringify(format as unknown)}` }]);
  }
}
