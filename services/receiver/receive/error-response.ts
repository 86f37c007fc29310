import type { FastifyReply } from 'fastify';
import { MeshrayError, isMeshrayError, type ErrorCode } from '../../../shared/edge/errors/index.ts';
import type { Issue } from '../../../shared/core/result/result.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import type { RefusedSpan, SpanBatch, SpanRefusalReason } from '../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { TRIM_FLOOR_CHARACTERS } from '../../../shared/core/zipkin/trim.ts';
import { MAX_SPAN_BYTES } from '../publish/record-limits.ts';

/**
 * THE place where an error code becomes an HTTP answer. Every code of the catalogue is listed so a new
 * code forces a decision here. Codes the receiver never raises answer 500 (a bug if seen).
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  BODY_MALFORMED: 400,
  BODY_TOO_LARGE: 413,
  TOO_MANY_SPANS: 413,
  ROUTE_NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_ENCODING: 415,
  BUFFER_FULL: 503,
  ACK_TIMEOUT: 503,
  PUBLISH_FAILED: 503,
  NOT_READY: 503,
  RECORD_UNDECODABLE: 500,
  SPAN_UNTRANSLATABLE: 500,
  SEGMENT_REJECTED: 500,
  XRAY_THROTTLED: 500,
  XRAY_UNAVAILABLE: 500,
  XRAY_ACCESS_DENIED: 500,
  TRANSACTION_SEARCH_OFF: 500,
  EPOCH_STORE_UNAVAILABLE: 500,
  CONFIG_INVALID: 500,
  PORT_UNAVAILABLE: 500,
  INTERNAL: 500,
};

/** Seconds a sender should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  readonly issues?: readonly Issue[];
}

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
}

/**
 * Fastify's own request errors mapped to the catalogue: the raw body over bodyLimit (MAX_BODY_BYTES:
 * a compressed body larger than the decoded limit is certainly too large) and unparsable headers.
 */
function fromFastifyError(err: unknown, limits: RequestLimits): MeshrayError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // the same words as the decoded body's limit (content-encoding.ts), so both 413s name the number
      return new MeshrayError('BODY_TOO_LARGE', limits.maxBodyBytes === undefined
        ? 'request body exceeds the size limit (MAX_BODY_BYTES): send fewer spans per request, or raise MAX_BODY_BYTES'
        : `request body exceeds the ${limits.maxBodyBytes}-byte limit (MAX_BODY_BYTES): send fewer spans per request, or raise MAX_BODY_BYTES`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MeshrayError('UNSUPPORTED_MEDIA_TYPE', (err as Error).message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MeshrayError('BODY_MALFORMED', (err as Error).message);
    default:
      return undefined;
  }
}

/** The limits a fastify error is judged against, to name them (MAX_BODY_BYTES, bytes). */
export interface RequestLimits {
  readonly maxBodyBytes?: number;
}

/** The status, headers and JSON body answering `err` (a MeshrayError, a fastify error, or a bug). */
export function toErrorResponse(err: unknown, limits: RequestLimits = {}): ErrorResponse {
  const known = isMeshrayError(err) ? err : fromFastifyError(err, limits);
  if (!known) {
    const status = (err as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, headers: {}, body: { error: 'BODY_MALFORMED', message: (err as Error).message } };
    }
    return { status: 500, headers: {}, body: { error: 'INTERNAL', message: 'internal error' } };
  }
  const status = HTTP_STATUS_BY_CODE[known.code];
  const headers: Record<string, string> = status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
  const body: ErrorBody = known.issues.length > 0
    ? { error: known.code, message: known.message, issues: known.issues }
    : { error: known.code, message: known.message };
  return { status, headers, body };
}

export function sendError(reply: FastifyReply, err: unknown, limits: RequestLimits = {}): FastifyReply {
  const r = toErrorResponse(err, limits);
  return reply.code(r.status).headers(r.headers).send(r.body);
}

/** One refused span in a 202 body: its index in the request body, the field at fault, why, and every issue. */
export interface RefusedSpanBody {
  readonly index: number;
  readonly field: string;
  readonly reason: SpanRefusalReason;
  readonly message: string;
}

/** The body of a 202 that accepted some spans of a request and refused others. */
export interface PartialAcceptanceBody {
  readonly refused: readonly RefusedSpanBody[];
}

export function partialAcceptanceBody(refused: readonly RefusedSpan[]): PartialAcceptanceBody {
  return {
    refused: refused.map((r) => ({ index: r.index, field: r.field, reason: r.reason, message: formatIssues(r.issues).replace(/\n/g, '; ') })),
  };
}

/**
 * The refusals of the spans the publish stage refused alone (too large for a Kafka record: MAX_SPAN_BYTES),
 * each named by its index in the body (`batch.bodyIndexes`), in body order after the decoders' refusals.
 */
export function refusedTooLarge(batch: Pick<SpanBatch, 'spans' | 'bodyIndexes'>, tooLarge: readonly Span[]): RefusedSpan[] {
  const refusedAt = new Map<number, number>();
  for (const span of tooLarge) {
    const index = batch.bodyIndexes[batch.spans.indexOf(span)] ?? -1;
    refusedAt.set(index, (refusedAt.get(index) ?? 0) + 1);
  }
  const limit = `larger, encoded, than the ${MAX_SPAN_BYTES} bytes one Kafka record of the span topic can hold`;
  return [...refusedAt].sort(([a], [b]) => a - b).map(([index, refused]) => {
    // A v1 span with client and server annotations became two spans: one may fit while the other does not.
    const whole = batch.bodyIndexes.reduce((n, i) => (i === index ? n + 1 : n), 0);
    const message = refused < whole
      ? `is a Zipkin v1 span that became ${whole} spans (its sides); ${refused} of them is ${limit} and was refused, the other was published`
      : `is ${limit}, even with its longest tag and annotation values cut to ${TRIM_FLOOR_CHARACTERS} characters: its bulk is in its name, endpoints or number of tags and annotations; record less in it`;
    return { index, field: '', reason: 'span_too_large', issues: [{ path: `spans[${index}]`, message }] };
  });
}
