import { InvalidRequestException, ThrottledException, XRayServiceException } from '@aws-sdk/client-xray';
import { CredentialsProviderError } from '@smithy/core/config';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { ErrorCode } from '../../../shared/edge/errors/index.ts';
import type { RejectReason } from '../../../shared/core/xray/index.ts';
import type { OtlpRejectReason } from '../../../shared/core/otlp/index.ts';

/**
 * What the translator does about a failure:
 * - `skip`: carry on without the failing part (e.g. the shared epoch store: local caches answer);
 * - `dead-letter`: the input can never succeed: write the original record to DLQ_TOPIC and move on;
 * - `retry`: the same input may succeed later: back off and retry; never commit past it meanwhile;
 * - `halt`: the export target refuses this caller (no credentials, access denied): retrying the same call
 *   cannot help until the operator acts. The sink stops at once (no backoff rounds), nothing is committed
 *   or dead-lettered, the batch is redelivered after a pause, readiness reports it, and `replay` stops.
 */
export type ErrorAction = 'skip' | 'dead-letter' | 'retry' | 'halt';

/**
 * THE one place mapping error codes to what the translator does. Exhaustive on purpose: a new code in
 * the catalogue does not compile until it is decided here.
 */
const POLICY: Readonly<Record<ErrorCode, ErrorAction>> = {
  RECORD_UNDECODABLE: 'dead-letter',
  SPAN_UNTRANSLATABLE: 'dead-letter',
  SEGMENT_REJECTED: 'dead-letter',
  XRAY_THROTTLED: 'retry',
  XRAY_UNAVAILABLE: 'retry',
  XRAY_ACCESS_DENIED: 'halt',
  // Spans sent now would be refused (AWS) or not stored: keep them in Kafka until Transaction Search is on.
  TRANSACTION_SEARCH_OFF: 'halt',
  EPOCH_STORE_UNAVAILABLE: 'skip',
  NOT_READY: 'retry',
  // Receiver-side codes never arise here; decided by their permanence for completeness.
  BODY_MALFORMED: 'dead-letter',
  BODY_TOO_LARGE: 'dead-letter',
  TOO_MANY_SPANS: 'dead-letter',
  ROUTE_NOT_FOUND: 'dead-letter',
  UNAUTHORIZED: 'dead-letter',
  UNSUPPORTED_MEDIA_TYPE: 'dead-letter',
  UNSUPPORTED_ENCODING: 'dead-letter',
  BUFFER_FULL: 'retry',
  ACK_TIMEOUT: 'retry',
  PUBLISH_FAILED: 'retry',
  CONFIG_INVALID: 'halt',
  PORT_UNAVAILABLE: 'halt',
  // a bug: the batch is redelivered, as any unexpected error is (pipeline.ts)
  INTERNAL: 'retry',
};

export function actionFor(code: ErrorCode): ErrorAction {
  return POLICY[code];
}

/**
 * The span refusals (`reason`, shared/core/xray/translate.ts RejectReason and shared/core/otlp/translate.ts
 * OtlpRejectReason) that no later delivery can judge otherwise: they follow from the span alone (no id, no start
 * time, no document small enough) or only get worse with time (`too_old`). Such a span is dead-lettered at its
 * first delivery and its batch goes on whole, so its trace's other spans are exported together, as they would
 * have been without it (a retried refusal cut the batch there: the trace's spans before the cut went first, the
 * rest after, so a service hop's document no longer nested its CLIENT spans; a newcomer trial then found those
 * spans twice in X-Ray after a replay). The others are delivered again, up to POISON_MAX_ATTEMPTS:
 * `epoch_out_of_window` and `too_far_ahead` (the clock moves on; a skewed clock is corrected), and an undecodable
 * record (`undecodable`: the schema of a newer receiver reaches this translator in a rolling upgrade). A record
 * (a POST's span list: several traces) holding a span of each kind is retried as a whole, as before: the span
 * refused for good is dead-lettered with it, once (the assembly window's parts hold one trace each, so there this
 * happens only within a trace). Typed over both paths' reasons: a new reason does not compile until decided here.
 */
const FINAL_REFUSALS: Readonly<Record<RejectReason | OtlpRejectReason, boolean>> = {
  invalid_id: true, no_timestamp: true, invalid_derived_id: true, too_large: true, too_old: true,
  epoch_out_of_window: false, too_far_ahead: false,
};

/** Whether a span refused for `reason` is refused for good; `undecodable` and any other reason: not. */
export function isFinalRefusal(reason: string): boolean {
  return Object.hasOwn(FINAL_REFUSALS, reason) && FINAL_REFUSALS[reason as RejectReason | OtlpRejectReason];
}

/**
 * `UnprocessedTraceSegments[].ErrorCode` values and what meshray does with each. The API model types the
 * field as a free string (`UnprocessedTraceSegment.ErrorCode` in @aws-sdk/client-xray's models_0); the
 * codes below are the ones X-Ray documents in its messages (`Invalid segment. ErrorCode: InvalidTraceId`)
 * and the ones xray-local answers (services/xray-local/api/classify-rejection.ts), which follow them.
 * A code not listed is retried (XRAY_UNAVAILABLE): an unknown code never drops a document.
 */
export const UNPROCESSED_CODES: Readonly<Record<string, ErrorCode>> = {
  ThrottledException: 'XRAY_THROTTLED',
  ThrottlingException: 'XRAY_THROTTLED',
  InternalFailure: 'XRAY_UNAVAILABLE',
  ServiceUnavailable: 'XRAY_UNAVAILABLE',
  InvalidSegment: 'SEGMENT_REJECTED',
  InvalidJson: 'SEGMENT_REJECTED',
  SegmentTooLarge: 'SEGMENT_REJECTED',
  MissingId: 'SEGMENT_REJECTED',
  InvalidId: 'SEGMENT_REJECTED',
  MissingTraceId: 'SEGMENT_REJECTED',
  InvalidTraceId: 'SEGMENT_REJECTED',
  MissingName: 'SEGMENT_REJECTED',
  InvalidName: 'SEGMENT_REJECTED',
  InvalidParentId: 'SEGMENT_REJECTED',
  MissingStartTime: 'SEGMENT_REJECTED',
  InvalidStartTime: 'SEGMENT_REJECTED',
  InvalidEndTime: 'SEGMENT_REJECTED',
  MissingEndTime: 'SEGMENT_REJECTED',
  InvalidAnnotations: 'SEGMENT_REJECTED',
};

/** X-Ray's per-document code in meshray's terms (UNPROCESSED_CODES; unknown or absent → XRAY_UNAVAILABLE, retried). */
export function codeOfUnprocessed(xrayCode: string | undefined): ErrorCode {
  return (xrayCode !== undefined && Object.hasOwn(UNPROCESSED_CODES, xrayCode) ? UNPROCESSED_CODES[xrayCode] : undefined) ?? 'XRAY_UNAVAILABLE';
}

/**
 * Errors AWS answers for any action when the caller is not let in ("Common Errors" of the AWS API
 * references; the X-Ray model does not model them, so they arrive as XRayServiceException with this name).
 * A signature rejected as expired is the SDK's clock-skew case and stays retryable (isTransientError).
 */
export const ACCESS_ERROR_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'NotAuthorized',
  'OptInRequired',
]);

/**
 * A failed PutTraceSegments call in meshray's terms, by the SDK's own types and retry metadata:
 * - CredentialsProviderError (no credentials anywhere in the chain), an access error (ACCESS_ERROR_NAMES)
 *   or HTTP 401/403 → XRAY_ACCESS_DENIED (permanent for the caller: `halt`);
 * - ThrottledException, or the SDK's isThrottlingError (`$retryable.throttling`, 429, throttling names) → XRAY_THROTTLED;
 * - InvalidRequestException, or another client fault answered 400/413 (the request content) → SEGMENT_REJECTED:
 *   the sink splits the call to find the document;
 * - the SDK's transient and server errors (`$retryable`, 5xx, ECONNREFUSED, timeouts), `$fault: 'server'`,
 *   and anything unrecognised → XRAY_UNAVAILABLE (retried: an unknown failure never drops a document).
 */
export function codeOfCallError(error: unknown): ErrorCode {
  if (error instanceof CredentialsProviderError) return 'XRAY_ACCESS_DENIED';
  if (typeof error !== 'object' || error === null) return 'XRAY_UNAVAILABLE';
  const e = error as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (error instanceof ThrottledException || isThrottlingError(e as never)) return 'XRAY_THROTTLED';
  if (isTransientError(e as never) || isServerError(e as never)) return 'XRAY_UNAVAILABLE';
  const status = e.$metadata?.httpStatusCode;
  if (ACCESS_ERROR_NAMES.has(e.name ?? '') || status === 401 || status === 403) return 'XRAY_ACCESS_DENIED';
  if (error instanceof InvalidRequestException) return 'SEGMENT_REJECTED';
  // Any other client fault about the request (ValidationException, SerializationException, 400/413):
  // the content is refused, so the sink splits the call until the refused document stands alone.
  if (error instanceof XRayServiceException && e.$fault === 'client' && (status === 400 || status === 413)) return 'SEGMENT_REJECTED';
  return 'XRAY_UNAVAILABLE';
}
