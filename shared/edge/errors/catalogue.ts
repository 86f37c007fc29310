/**
 * The closed catalogue of meshray's error codes. Each is permanent (retrying the same input fails
 * the same way) or retryable (the same input may succeed later). How a code is answered is decided
 * in one place per service: services/receiver/receive/error-response.ts (HTTP status) and
 * services/translator/policy/error-policy.ts (skip, dead-letter or retry).
 */
export const ERROR_CATALOGUE = {
  /** The body is not valid Zipkin (any span malformed: the whole body is refused). */
  BODY_MALFORMED: { retryable: false, summary: 'request body is not valid Zipkin spans' },
  /** The decoded (decompressed) body is larger than the configured limit. */
  BODY_TOO_LARGE: { retryable: false, summary: 'decoded request body exceeds the size limit' },
  /** The body holds more spans than one request may carry. */
  TOO_MANY_SPANS: { retryable: false, summary: 'request carries more spans than allowed' },
  /** No such route (or not with that method): the receiver takes spans only by POST (README, "HTTP API"). */
  ROUTE_NOT_FOUND: { retryable: false, summary: 'no such route' },
  /** RECEIVER_AUTH_TOKENS is set and the request carries no bearer token, or one not accepted (RFC 6750). */
  UNAUTHORIZED: { retryable: false, summary: 'no accepted bearer token' },
  /** Content-Type is not one the route accepts. */
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, summary: 'unsupported media type' },
  /** Content-Encoding is not identity, gzip or deflate, or the compressed stream is corrupt. */
  UNSUPPORTED_ENCODING: { retryable: false, summary: 'unsupported or corrupt content encoding' },
  /** The bounded publish buffer is full. */
  BUFFER_FULL: { retryable: true, summary: 'publish buffer is full' },
  /** Kafka did not acknowledge within ACK_TIMEOUT. */
  ACK_TIMEOUT: { retryable: true, summary: 'Kafka did not acknowledge in time' },
  /** Kafka refused or failed the write. */
  PUBLISH_FAILED: { retryable: true, summary: 'publishing to Kafka failed' },
  /** The service is shutting down or not ready yet. */
  NOT_READY: { retryable: true, summary: 'service is not ready' },
  /** A span topic record is not decodable Avro (or carries an unknown schema fingerprint). */
  RECORD_UNDECODABLE: { retryable: false, summary: 'span record cannot be decoded' },
  /** A span cannot become a valid segment document. */
  SPAN_UNTRANSLATABLE: { retryable: false, summary: 'span cannot be translated into a segment document' },
  /** X-Ray refused a document as invalid (UnprocessedTraceSegments with a permanent code). */
  SEGMENT_REJECTED: { retryable: false, summary: 'X-Ray rejected the segment document' },
  /** X-Ray throttled the call or a document. */
  XRAY_THROTTLED: { retryable: true, summary: 'X-Ray throttled the request' },
  /** X-Ray answered 5xx, or the network failed. */
  XRAY_UNAVAILABLE: { retryable: true, summary: 'X-Ray is unavailable' },
  /** No AWS credentials, or X-Ray refused them (access denied, unknown or expired key, bad signature): the operator must act. */
  XRAY_ACCESS_DENIED: { retryable: false, summary: 'X-Ray refused the credentials or permissions (or none were found)' },
  /**
   * The OTLP endpoint refuses spans because the account's trace segment destination is not CloudWatch Logs
   * (Transaction Search is off): the operator must enable it (CloudWatch User Guide, "OTLP troubleshooting").
   */
  TRANSACTION_SEARCH_OFF: { retryable: false, summary: 'the OTLP endpoint refuses spans: Transaction Search is not enabled' },
  /** Redis (shared epoch store) cannot be reached; local caches are used meanwhile. */
  EPOCH_STORE_UNAVAILABLE: { retryable: true, summary: 'shared epoch store is unavailable' },
  /** Configuration from the environment is invalid. */
  CONFIG_INVALID: { retryable: false, summary: 'configuration is invalid' },
  /** A service's port is taken (or not allowed); the message names the variable that sets it. */
  PORT_UNAVAILABLE: { retryable: false, summary: 'the port to listen on is not available' },
  /** Not one of the above: a bug (the receiver answers it 500 `internal error`, without details). Retryable: it need not recur. */
  INTERNAL: { retryable: true, summary: 'an unexpected error (a bug)' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const isRetryable = (code: ErrorCode): boolean => ERROR_CATALOGUE[code].retryable;
