/**
 * POST /v1/traces: the CloudWatch OTLP traces endpoint as xray-local emulates it.
 *
 * Limits (Amazon CloudWatch User Guide, "OTLP Endpoints", "Endpoint limits and restrictions",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLPEndpoint.html):
 * ≤ 5 MB uncompressed per request (larger: 413), ≤ 10,000 spans per request (more: 400, the call is
 * rejected), ≤ 24 h between the spans of one request (more: 400), spans ≤ 200 KB (measured as OTLP/JSON)
 * and started ≤ 14 days ago and ≤ 2 h ahead. A span breaking a per-span limit, or with an invalid trace or
 * span id, is refused alone and counted in `partial_success.rejected_spans` with a message naming it
 * (OTLP specification, "Partial Success"); the page words the time limit for "the spans in the batch",
 * and xray-local reads it per span.
 *
 * Answers follow OTLP/HTTP ("Failures"): the body is a `google.rpc.Status` (protobuf or JSON, as the
 * request was) with a message; 400 for a malformed request, 413 / 415 for size and media type, 429 with
 * `Retry-After` (seconds) while the emulated throttle's bucket is empty or in debt (the whole request is
 * refused, so nothing is half-accepted; an admitted request draws one token per span), 403 when the `Authorization` header is not a
 * SigV4 header for service `xray`: xray-local checks the header's shape (algorithm, credential scope
 * `<key>/<yyyymmdd>/<region>/xray/aws4_request`, signed headers, 64-hex signature) but does not verify
 * the signature.
 *
 * Accepted spans are mapped to segment documents (span-to-segment.ts) and stored in the SegmentStore, so
 * they appear in the service graph, trace summaries and console like PutTraceSegments documents; the
 * span itself is kept for ListRetrievedTraces.
 */
import type { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import { validateSegmentDocument } from '../../../shared/core/xray/validate.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { MAX_DOCUMENT_BYTES, documentBytes } from '../../../shared/core/xray/limits.ts';
import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { SegmentStore } from '../store/segment-store.ts';
import type { JsonExportRequest, JsonSpan } from './decode-export-request.ts';
import { flatten, secondsOf, segmentsOfSpan } from './span-to-segment.ts';
import type { SpanStore } from './span-store.ts';

const HOUR_MS = 3_600_000;

export const OTLP_ENDPOINT = Object.freeze({
  maxRequestBytes: 5 * 1024 * 1024,
  maxSpansPerRequest: 10_000,
  maxSpanBytes: 200 * 1024,
  maxAgeMs: 14 * 24 * HOUR_MS,
  maxAheadMs: 2 * HOUR_MS,
  maxSpreadMs: 24 * HOUR_MS,
});

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Undefined when the header has the SigV4 shape for service `xray`; else what is wrong with it. */
export function checkSigV4Shape(authorization: string | undefined): string | undefined {
  const note = 'xray-local checks only the shape of the Authorization header; the signature is not verified';
  if (authorization === undefined || authorization.length === 0) {
    return `missing Authorization header: the OTLP endpoint takes only SigV4-signed requests for service "xray" (${note})`;
  }
  const match = SIGV4.exec(authorization.trim());
  if (match === null) return `Authorization header is not an AWS SigV4 header ("AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/xray/aws4_request, SignedHeaders=…, Signature=<64 hex>") (${note})`;
  if (match[4] !== 'xray') return `Authorization header is signed for service "${match[4]}", the OTLP traces endpoint wants "xray" (credential scope …/${match[3]}/xray/aws4_request) (${note})`;
  return undefined;
}

export type ReceiveOutcome =
  | { readonly kind: 'accepted'; readonly rejectedSpans: number; readonly errorMessage: string }
  | { readonly kind: 'refused'; readonly status: 400 | 429; readonly message: string; readonly retryAfterSec?: number };

export interface ReceiveDeps {
  readonly segments: SegmentStore;
  readonly spans: SpanStore;
  readonly throttle: TokenBucket | undefined;
  /** Spans per second of the throttle (for Retry-After). */
  readonly throttleRatePerSecond: number;
  readonly nowMs: number;
  readonly onSpan?: (outcome: 'accepted' | 'rejected', reason: string) => void;
}

const TRACE_HEX = /^[0-9a-f]{32}$/;
const SPAN_HEX = /^[0-9a-f]{16}$/;

interface Located {
  readonly span: JsonSpan;
  readonly resource: Record<string, ReturnType<typeof flatten>[string]>;
  readonly resourceJson: unknown;
  readonly scopeJson: unknown;
  readonly path: string;
}

function locate(request: JsonExportRequest): Located[] {
  const out: Located[] = [];
  (request.resourceSpans ?? []).forEach((rs, r) => {
    const resource = flatten(rs.resource?.attributes);
    (rs.scopeSpans ?? []).forEach((ss, s) => {
      (ss.spans ?? []).forEach((span, i) => {
        out.push({ span, resource, resourceJson: rs.resource ?? {}, scopeJson: ss.scope ?? {}, path: `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]` });
      });
    });
  });
  return out;
}

function spanProblem(l: Located, nowMs: number): { reason: string; message: string } | undefined {
  const span = l.span;
  if (span.traceId === undefined || !TRACE_HEX.test(span.traceId) || /^0+$/.test(span.traceId)) return { reason: 'invalid_trace_id', message: `${l.path}: traceId must be 16 bytes, not all zero` };
  if (span.spanId === undefined || !SPAN_HEX.test(span.spanId) || /^0+$/.test(span.spanId)) return { reason: 'invalid_span_id', message: `${l.path}: spanId must be 8 bytes, not all zero` };
  if (span.parentSpanId !== undefined && !SPAN_HEX.test(span.parentSpanId)) return { reason: 'invalid_parent_span_id', message: `${l.path}: parentSpanId must be 8 bytes` };
  const startMs = secondsOf(span.startTimeUnixNano) * 1000;
  if (startMs < nowMs - OTLP_ENDPOINT.maxAgeMs) return { reason: 'too_old', message: `${l.path}: starts more than 14 days ago` };
  if (startMs > nowMs + OTLP_ENDPOINT.maxAheadMs) return { reason: 'too_far_ahead', message: `${l.path}: starts more than 2 hours ahead` };
  const bytes = Buffer.byteLength(JSON.stringify(span));
  if (bytes > OTLP_ENDPOINT.maxSpanBytes) return { reason: 'span_too_large', message: `${l.path}: ${bytes} bytes, more than the 200 KB span limit` };
  return undefined;
}

/** The document as stored: metadata dropped (and marked) when it would pass 64 KB; undefined if invalid. */
function storable(doc: SegmentDocument): { doc: SegmentDocument; json: string } | { problem: string } {
  let json = JSON.stringify(doc);
  let fitted = doc;
  if (documentBytes(json) > MAX_DOCUMENT_BYTES) {
    fitted = { ...doc, metadata: { otel: { trimmed: true } } };
    json = JSON.stringify(fitted);
  }
  const valid = validateSegmentDocument(JSON.parse(json));
  return valid.ok ? { doc: valid.value, json } : { problem: formatIssues(valid.issues.slice(0, 1)) };
}

export function receiveTraces(request: JsonExportRequest, deps: ReceiveDeps): ReceiveOutcome {
  const located = locate(request);
  if (located.length > OTLP_ENDPOINT.maxSpansPerRequest) {
    return { kind: 'refused', status: 400, message: `the request holds ${located.length} spans, more than the endpoint's 10,000 per request` };
  }
  let minStart = Infinity;
  let maxStart = -Infinity;
  for (const l of located) {
    const start = secondsOf(l.span.startTimeUnixNano) * 1000;
    if (start > 0) {
      minStart = Math.min(minStart, start);
      maxStart = Math.max(maxStart, start);
    }
  }
  if (maxStart - minStart > OTLP_ENDPOINT.maxSpreadMs) {
    return { kind: 'refused', status: 400, message: `the spans of the request start ${Math.round((maxStart - minStart) / HOUR_MS)} h apart, more than the endpoint's 24 h` };
  }
  if (deps.throttle !== undefined && located.length > 0) {
    // A request is admitted while the bucket is not empty and draws all its spans, into debt if need be,
    // so requests of any size get through and the long-run rate is the configured one; while the bucket
    // is empty or in debt, the whole request is refused with the time the debt takes to clear.
    const available = deps.throttle.tokens;
    if (available < 1) {
      return {
        kind: 'refused',
        status: 429,
        message: `Rate exceeded: the throttle (XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND = ${deps.throttleRatePerSecond}/s) is out of room; ${located.length} spans not accepted, retry after the Retry-After delay`,
        retryAfterSec: Math.max(1, Math.ceil((1 - available) / Math.max(deps.throttleRatePerSecond, 1e-9))),
      };
    }
    deps.throttle.reserve(located.length);
  }
  const messages: string[] = [];
  let rejected = 0;
  for (const l of located) {
    const problem = spanProblem(l, deps.nowMs);
    const converted = problem === undefined ? segmentsOfSpan(l.span, l.resource) : undefined;
    const stored = converted?.documents.map(storable);
    const docs = stored?.flatMap((d) => ('doc' in d ? [d] : []));
    const unstorable = stored?.find((d) => 'problem' in d);
    if (problem !== undefined || converted === undefined || docs === undefined || unstorable !== undefined) {
      rejected += 1;
      const reason = problem?.reason ?? 'unconvertible';
      if (messages.length < 10) messages.push(problem?.message ?? `${l.path}: cannot be made into a valid segment document${unstorable && 'problem' in unstorable ? ` (${unstorable.problem})` : ''}`);
      deps.onSpan?.('rejected', reason);
      continue;
    }
    const ids: string[] = [];
    for (const d of docs) {
      if (d === undefined) continue;
      deps.segments.put(d.doc, d.json, deps.nowMs);
      ids.push(d.doc.id);
    }
    const document = JSON.stringify({ resource: l.resourceJson, scope: l.scopeJson, ...l.span });
    deps.spans.add(converted.xrayTraceId, {
      spanId: l.span.spanId,
      document,
      startSec: secondsOf(l.span.startTimeUnixNano),
      endSec: Math.max(secondsOf(l.span.endTimeUnixNano), secondsOf(l.span.startTimeUnixNano)),
    }, ids);
    deps.onSpan?.('accepted', 'ok');
  }
  const more = rejected > messages.length ? `; and ${rejected - messages.length} more` : '';
  return { kind: 'accepted', rejectedSpans: rejected, errorMessage: rejected > 0 ? `${rejected} span(s) rejected: ${messages.join('; ')}${more}` : '' };
}
