/** error / throttle / fault flags and the cause, from the HTTP status, the `error` tag and Envoy's response flags. */
import type { Cause } from './segment-document.ts';
import { MAX_STRING_CHARS, truncateChars } from './limits.ts';

/**
 * Envoy response flags that mean the request failed, with what they mean (Envoy's access-log docs, "Response
 * flags"). `DI` (the request was delayed by fault injection, Istio's fixed-delay task) is not one: the request
 * went on and its status says how it ended.
 */
export const FAILURE_RESPONSE_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  UH: 'no healthy upstream',
  UF: 'upstream connection failure',
  UO: 'upstream overflow (circuit breaker open)',
  NR: 'no route configured',
  URX: 'upstream retry limit exceeded',
  NC: 'upstream cluster not found',
  FI: 'request aborted by fault injection',
  RL: 'rate limited locally',
  UAEX: 'unauthorized by external authorization',
  RLSE: 'rate limit service error',
  DC: 'downstream connection termination',
  UC: 'upstream connection termination',
  UT: 'upstream request timeout',
  LH: 'local service failed health check',
  LR: 'connection local reset',
  UR: 'upstream remote reset',
  IH: 'invalid header value (strict header check)',
  SI: 'stream idle timeout',
  DPE: 'downstream protocol error',
  UPE: 'upstream protocol error',
  UMSDR: 'upstream max stream duration reached',
  OM: 'overload manager terminated the request',
  DF: 'DNS resolution failure',
});

/**
 * Failure flags that can mean the request was never forwarded to an upstream (no connection, no route, no
 * healthy host, retries or connect attempts exhausted, refused or rejected by Envoy itself): UT, UC, UR and the
 * like say an upstream had the request. URX is both (retries exhausted on the upstream's own 5xx answers, or
 * connect attempts exhausted): with the waypoint's destination peer unknown, which it is not once an upstream
 * answered (Istio ≥ 1.29), it counts as never forwarded.
 */
export const NOT_FORWARDED_RESPONSE_FLAGS: ReadonlySet<string> = new Set(['UH', 'UF', 'UO', 'NR', 'URX', 'NC', 'FI', 'RL', 'UAEX', 'DF', 'IH', 'DPE', 'OM']);

/** gRPC status codes by number (grpc/grpc doc/statuscodes.md); 0 (OK) is no failure. */
export const GRPC_STATUS_NAMES: readonly string[] = Object.freeze([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

/**
 * The gRPC failure a span reports (Envoy's `grpc.status_code` tag, a number or a status name, and
 * `grpc.message`), as one cause line: `grpc 14 UNAVAILABLE: upstream connect error`. Undefined for OK (0),
 * an absent tag, or a value that is no gRPC status.
 */
export function grpcFailureOf(tags: Readonly<Record<string, string>>): string | undefined {
  const raw = tags['grpc.status_code']?.trim();
  if (raw === undefined || raw === '') return undefined;
  let code = /^\d{1,2}$/.test(raw) ? Number(raw) : GRPC_STATUS_NAMES.indexOf(raw.toUpperCase());
  if (code < 0 || code >= GRPC_STATUS_NAMES.length) code = -1;
  if (code === 0) return undefined;
  if (code === -1 && !/^\d+$/.test(raw)) return undefined;
  const name = code === -1 ? 'UNKNOWN_STATUS' : GRPC_STATUS_NAMES[code];
  const message = tags['grpc.message'];
  return `grpc ${code === -1 ? raw : code} ${name}${message !== undefined && message.length > 0 ? `: ${message}` : ''}`;
}

export interface Flags {
  readonly error: boolean;
  readonly throttle: boolean;
  readonly fault: boolean;
  /** One line per failure (`UF: upstream connection failure`, `error: …`), empty when none. */
  readonly causeMessage: string | undefined;
}

/** Failure flags of a `response_flags` tag (`UF,URX`; `-` means none), in tag order. */
export function failureFlagsOf(responseFlags: string | undefined): string[] {
  if (responseFlags === undefined || responseFlags === '-' || responseFlags.length === 0) return [];
  const out: string[] = [];
  for (const raw of responseFlags.split(',')) {
    const flag = raw.trim();
    if (Object.hasOwn(FAILURE_RESPONSE_FLAGS, flag) && !out.includes(flag)) out.push(flag);
  }
  return out;
}

/**
 * The `error` tag as Zipkin means it: its presence marks the span failed (zipkin2 `DependencyLinker`:
 * `tags().containsKey("error")`), whatever the value, which may be the message or empty (OpenTelemetry's
 * Zipkin exporter writes the status description there, often ""). `false` is the one value read as no
 * error (OpenTracing's `error=false`).
 */
function errorTagOf(tags: Readonly<Record<string, string>>): string | undefined {
  const value = tags['error'];
  if (value === undefined || value === 'false') return undefined;
  return value;
}

/**
 * 4xx → error; 429 → error + throttle; 5xx → fault. With no usable status (absent or 0) or a non-error
 * status (e.g. gRPC failures carried in an HTTP 200), an `error` tag or a failure response flag → fault.
 * A gRPC failure (`grpc.status_code` ≠ 0) is a fault whatever the HTTP status (gRPC answers HTTP 200).
 * A failing document carries the failure flags / gRPC status and message / error message as its cause.
 */
export function flagsOf(tags: Readonly<Record<string, string>>, status: number | undefined): Flags {
  const failures = failureFlagsOf(tags['response_flags']);
  const errorTag = errorTagOf(tags);
  const grpcFailure = grpcFailureOf(tags);
  let error = false;
  let throttle = false;
  let fault = false;
  if (status !== undefined && status >= 500 && status <= 599) fault = true;
  else if (status === 429) {
    error = true;
    throttle = true;
  } else if (status !== undefined && status >= 400 && status <= 499) error = true;
  else if (errorTag !== undefined || failures.length > 0) fault = true;
  if (grpcFailure !== undefined) fault = true;

  let causeMessage: string | undefined;
  if (error || fault) {
    const lines = failures.map((flag) => `${flag}: ${FAILURE_RESPONSE_FLAGS[flag] ?? ''}`);
    if (grpcFailure !== undefined) lines.push(grpcFailure);
    if (errorTag !== undefined && errorTag !== 'true' && errorTag !== '') lines.push(`error: ${errorTag}`);
    else if (errorTag !== undefined && lines.length === 0) lines.push('error tag set on the span');
    if (lines.length > 0) causeMessage = truncateChars(lines.join('; '), MAX_STRING_CHARS);
  }
  return { error, throttle, fault, causeMessage };
}

/** A document's `cause`: one exception (`exceptionId`: 16 hex digits, derived by the caller) with `message` (X-Ray Developer Guide, "Segment documents", errors and exceptions). */
export function causeOf(exceptionId: string, message: string): Cause {
  return { exceptions: [{ id: exceptionId, message }] };
}
