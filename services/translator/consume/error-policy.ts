import type { ErrorCode } from '../../../shared/errors/index.ts';

/**
 * What the translator does about a failure:
 * - `skip`: carry on without the failing part (e.g. the shared epoch store: local caches answer);
 * - `dead-letter`: the input can never succeed: write the original record to DLQ_TOPIC and move on;
 * - `retry`: the same input may succeed later: back off and retry; never commit past it meanwhile.
 */
export type ErrorAction = 'skip' | 'dead-letter' | 'retry';

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
  EPOCH_STORE_UNAVAILABLE: 'skip',
  NOT_READY: 'retry',
  // Receiver-side codes never arise here; decided by their permanence for completeness.
  BODY_MALFORMED: 'dead-letter',
  BODY_TOO_LARGE: 'dead-letter',
  TOO_MANY_SPANS: 'dead-letter',
  UNSUPPORTED_MEDIA_TYPE: 'dead-letter',
  UNSUPPORTED_ENCODING: 'dead-letter',
  BUFFER_FULL: 'retry',
  ACK_TIMEOUT: 'retry',
  PUBLISH_FAILED: 'retry',
  CONFIG_INVALID: 'retry',
};

export function actionFor(code: ErrorCode): ErrorAction {
  return POLICY[code];
}

const AUTH_OR_CONFIG = /signature|token|credential|denied|unrecognized|forbidden|authoriz|security|subscription/i;
const THROTTLING = /throttl|rate.?exceeded|too.?many|slow.?down|limit.?exceeded/i;
const INVALID = /invalid|validation|malformed|too.?large|too.?old|serializ|parse|missing|bad.?request/i;

/**
 * X-Ray's per-document code (`UnprocessedTraceSegments[].ErrorCode`) in meshray's terms.
 * Throttling-ish → XRAY_THROTTLED; invalid document → SEGMENT_REJECTED; anything else (InternalFailure,
 * 5xx-like, unknown) → XRAY_UNAVAILABLE, i.e. retried: an unknown code never drops a document.
 */
export function codeOfUnprocessed(xrayCode: string | undefined): ErrorCode {
  const c = xrayCode ?? '';
  if (THROTTLING.test(c)) return 'XRAY_THROTTLED';
  if (AUTH_OR_CONFIG.test(c)) return 'XRAY_UNAVAILABLE';
  if (INVALID.test(c)) return 'SEGMENT_REJECTED';
  return 'XRAY_UNAVAILABLE';
}

/**
 * A failed PutTraceSegments call in meshray's terms. Only a request-content error
 * (InvalidRequestException, ValidationException, 400/413 without an auth cause) counts as SEGMENT_REJECTED
 * (the sink then splits the call to find the document); credentials, permissions, 5xx and network
 * failures are XRAY_UNAVAILABLE, throttling XRAY_THROTTLED: both retried, never dead-lettered.
 */
export function codeOfCallError(name: string | undefined, httpStatus: number | undefined): ErrorCode {
  const n = name ?? '';
  if (httpStatus === 429 || THROTTLING.test(n)) return 'XRAY_THROTTLED';
  if (httpStatus !== undefined && httpStatus >= 500) return 'XRAY_UNAVAILABLE';
  if (AUTH_OR_CONFIG.test(n) || httpStatus === 401 || httpStatus === 403) return 'XRAY_UNAVAILABLE';
  if (INVALID.test(n) || httpStatus === 400 || httpStatus === 413) return 'SEGMENT_REJECTED';
  return 'XRAY_UNAVAILABLE';
}
