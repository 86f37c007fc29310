/**
 * Span status (OpenTelemetry trace API "Set Status"; semconv "Status" rules for HTTP and gRPC spans):
 * - HTTP: a CLIENT span with status 4xx or 5xx is `ERROR`; a SERVER span only with 5xx (a 4xx is the
 *   caller's fault and leaves the server span `UNSET`).
 * - gRPC (`rpc.grpc.status_code`): a CLIENT span with any non-OK code is `ERROR`; a SERVER span with
 *   UNKNOWN(2), DEADLINE_EXCEEDED(4), UNIMPLEMENTED(12), INTERNAL(13), UNAVAILABLE(14) or DATA_LOSS(15).
 * - Envoy's failure response flags (`UF`, `UH`, `URX`, …) and Zipkin's `error` tag make any span `ERROR`,
 *   as they make the segments path mark a fault (shared/core/xray/flags.ts, whose flag table is reused).
 * The description names the failures as the segments path's `cause` does.
 */
import type { Span } from '../zipkin/span.ts';
import { parseNonNegativeInt, statusOf } from '../xray/http.ts';
import { FAILURE_RESPONSE_FLAGS, failureFlagsOf } from '../xray/flags.ts';
import { StatusCodeOtlp, type OtlpStatus } from './otlp-request.ts';

const GRPC_SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);
const MAX_MESSAGE_CHARS = 1024;

/**
 * The OTLP status of `span` by the rules above: `isServer` for the server side of a span, whose 4xx and
 * client-fault gRPC codes leave it `UNSET`. An `ERROR` status's message names each failure, `; `-separated (HTTP
 * status, gRPC code and message, each failure response flag, the `error` tag), cut to 1,024 characters.
 */
export function statusOfSpan(span: Span, isServer: boolean): OtlpStatus {
  const tags = span.tags;
  const lines: string[] = [];
  const http = statusOf(tags);
  if (http !== undefined && (http >= 500 || (!isServer && http >= 400)) && http <= 599) lines.push(`HTTP ${http}`);
  const grpc = parseNonNegativeInt(tags['grpc.status_code']);
  if (grpc !== undefined && grpc !== 0 && (!isServer || GRPC_SERVER_ERRORS.has(grpc))) {
    const message = tags['grpc.message'];
    lines.push(message !== undefined && message.length > 0 ? `gRPC ${grpc}: ${message}` : `gRPC ${grpc}`);
  }
  for (const flag of failureFlagsOf(tags['response_flags'])) lines.push(`${flag}: ${FAILURE_RESPONSE_FLAGS[flag] ?? ''}`);
  const errorTag = tags['error'];
  // present, whatever its value but `false`, as the segments path reads it (flags.ts errorTagOf): an empty value
  // (OpenTelemetry's Zipkin exporter, an ERROR status without a description) is still a failure
  if (errorTag !== undefined && errorTag !== 'false') {
    lines.push(errorTag === 'true' || errorTag === '' ? 'error tag set on the span' : `error: ${errorTag}`);
  }
  if (lines.length === 0) return { code: StatusCodeOtlp.UNSET };
  const message = lines.join('; ');
  return { code: StatusCodeOtlp.ERROR, message: message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message };
}
