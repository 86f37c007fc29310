/**
 * The X-Ray Transaction Search APIs the AWS SDK calls (X-Ray API Reference:
 * GetTraceSegmentDestination, UpdateTraceSegmentDestination, StartTraceRetrieval, ListRetrievedTraces,
 * GetRetrievedTracesGraph, CancelTraceRetrieval; https://docs.aws.amazon.com/xray/latest/api/), and
 * BatchGetTraces as it behaves once spans go to CloudWatch Logs: documents made from OTLP spans are not
 * returned by it ("For retrieving data from X-Ray directly as opposed to the Transaction Search generated
 * log group, see BatchGetTraces", API_ListRetrievedTraces).
 *
 * xray-local differences: a destination update is ACTIVE at once (AWS reports PENDING for a while); a
 * retrieval is COMPLETE at once and reads the stores when listed; `ListRetrievedTraces` with
 * `TraceFormat: OTEL` returns the OTLP spans received on /v1/traces (each Document is the span in OTLP/JSON
 * with its `resource` and `scope`) and the PutTraceSegments documents converted to spans
 * (segment-to-span.ts), with `XRAY` (the default) the segment documents of those traces.
 */
import type { SegmentStore, StoredTrace } from '../store/segment-store.ts';
import { type Service, buildServiceGraph, overlapping } from '../graph/build-service-graph.ts';
import { traceBoundsSec } from '../store/trace-entities.ts';
import { type ApiOutcome, answer, invalidRequest } from '../api/api-outcome.ts';
import { decodeNextToken, encodeNextToken, readBody, readOptionalString, readStringList, readTimeRange } from '../api/read-request.ts';
import { type BatchGetTracesResult, batchGetTraces } from '../api/batch-get-traces.ts';
import type { SpanStore, TraceSegmentDestination } from './span-store.ts';
import { xrayTraceIdOf } from './span-to-segment.ts';
import { spanDocumentOfSegment } from './segment-to-span.ts';

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;

export interface TransactionSearchDeps {
  readonly segments: SegmentStore;
  readonly spans: SpanStore;
}

const DESTINATIONS: readonly TraceSegmentDestination[] = ['XRay', 'CloudWatchLogs'];
const TRACE_FORMATS = ['XRAY', 'OTEL'] as const;
/** Traces per ListRetrievedTraces page. */
const PAGE_SIZE = 20;
const MAX_RETRIEVAL_TRACE_IDS = 100;

export function getTraceSegmentDestination(deps: TransactionSearchDeps): ApiOutcome<{ Destination: string; Status: string }> {
  return answer({ Destination: deps.spans.destination, Status: 'ACTIVE' });
}

export function updateTraceSegmentDestination(raw: unknown, deps: TransactionSearchDeps): ApiOutcome<{ Destination: string; Status: string }> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const destination = readOptionalString(body.body, 'Destination');
  if (!destination.ok) return destination;
  if (destination.body !== undefined) {
    if (!DESTINATIONS.includes(destination.body as TraceSegmentDestination)) return invalidRequest(`Destination must be one of ${DESTINATIONS.join(', ')}`);
    deps.spans.destination = destination.body as TraceSegmentDestination;
  }
  return answer({ Destination: deps.spans.destination, Status: 'ACTIVE' });
}

export function startTraceRetrieval(raw: unknown, deps: TransactionSearchDeps): ApiOutcome<{ RetrievalToken: string }> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const ids = readStringList(body.body, 'TraceIds', { min: 1, max: MAX_RETRIEVAL_TRACE_IDS });
  if (!ids.ok) return ids;
  const range = readTimeRange(body.body);
  if (!range.ok) return range;
  return answer({ RetrievalToken: deps.spans.startRetrieval(ids.body, range.body.startSec, range.body.endSec).token });
}

export function cancelTraceRetrieval(raw: unknown, deps: TransactionSearchDeps): ApiOutcome<Record<string, never>> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const token = readOptionalString(body.body, 'RetrievalToken');
  if (!token.ok) return token;
  if (token.body === undefined || !deps.spans.cancelRetrieval(token.body)) return invalidRequest('RetrievalToken is not a retrieval this service started');
  return answer({});
}

/** The stored traces a retrieval names that overlap its time range. */
function retrievedTraces(raw: unknown, deps: TransactionSearchDeps): ApiOutcome<{ traces: StoredTrace[]; token: string; body: Record<string, unknown> }> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const token = readOptionalString(body.body, 'RetrievalToken');
  if (!token.ok) return token;
  if (token.body === undefined) return invalidRequest('RetrievalToken is required');
  const retrieval = deps.spans.retrieval(token.body);
  if (retrieval === undefined) return invalidRequest('RetrievalToken is not a retrieval this service started (or it was cancelled)');
  const traces: StoredTrace[] = [];
  for (const id of retrieval.traceIds) {
    // A W3C id (32 hex) names the same trace as its X-Ray form.
    const trace = deps.segments.get(W3C_TRACE_ID.test(id) ? xrayTraceIdOf(id) : id);
    if (trace === undefined) continue;
    const bounds = traceBoundsSec(trace);
    if (bounds.startSec <= retrieval.endSec && bounds.endSec >= retrieval.startSec) traces.push(trace);
  }
  return answer({ traces, token: token.body, body: body.body });
}

export interface RetrievedTrace {
  Id: string;
  Duration: number;
  Spans: { Id: string; Document: string }[];
}

export function listRetrievedTraces(
  raw: unknown,
  deps: TransactionSearchDeps,
): ApiOutcome<{ RetrievalStatus: string; TraceFormat: string; Traces: RetrievedTrace[]; NextToken?: string }> {
  const found = retrievedTraces(raw, deps);
  if (!found.ok) return found;
  const format = readOptionalString(found.body.body, 'TraceFormat');
  if (!format.ok) return format;
  const traceFormat = format.body ?? 'XRAY';
  if (!(TRACE_FORMATS as readonly string[]).includes(traceFormat)) return invalidRequest(`TraceFormat must be one of ${TRACE_FORMATS.join(', ')}`);
  const next = readOptionalString(found.body.body, 'NextToken');
  if (!next.ok) return next;
  const offset = decodeNextToken(next.body);
  if (!offset.ok) return offset;
  const all = found.body.traces.map((trace): RetrievedTrace => {
    const bounds = traceBoundsSec(trace);
    const Duration = Math.max(0, bounds.endSec - bounds.startSec);
    if (traceFormat === 'OTEL') {
      // Spans received on /v1/traces as they came; segment documents (PutTraceSegments) converted.
      const received = deps.spans.get(trace.traceId)?.spans ?? [];
      const converted = [...trace.segments.values()]
        .filter((s) => !deps.spans.isFromSpan(trace.traceId, s.id))
        .map((s) => ({ spanId: s.id, startSec: s.parsed.start_time, document: spanDocumentOfSegment(s.parsed) }));
      const spans = [...received, ...converted].sort((a, b) => a.startSec - b.startSec);
      return { Id: trace.traceId, Duration, Spans: spans.map((s) => ({ Id: s.spanId, Document: s.document })) };
    }
    const segments = [...trace.segments.values()].sort((a, b) => a.parsed.start_time - b.parsed.start_time);
    return { Id: trace.traceId, Duration, Spans: segments.map((s) => ({ Id: s.id, Document: s.document })) };
  });
  const page = all.slice(offset.body, offset.body + PAGE_SIZE);
  const end = offset.body + page.length;
  return answer({
    RetrievalStatus: 'COMPLETE',
    TraceFormat: traceFormat,
    Traces: page,
    ...(end < all.length ? { NextToken: encodeNextToken(end) } : {}),
  });
}

export function getRetrievedTracesGraph(
  raw: unknown,
  deps: TransactionSearchDeps,
): ApiOutcome<{ RetrievalStatus: string; Services: { Service: Service; Links: never[] }[] }> {
  const found = retrievedTraces(raw, deps);
  if (!found.ok) return found;
  const services = buildServiceGraph(found.body.traces, overlapping(-Infinity, Infinity));
  return answer({ RetrievalStatus: 'COMPLETE', Services: services.map((Service) => ({ Service, Links: [] })) });
}

/** BatchGetTraces without the documents made from OTLP spans (those live in CloudWatch Logs). */
export function batchGetTracesOutsideSpans(raw: unknown, deps: TransactionSearchDeps): ApiOutcome<BatchGetTracesResult> {
  const outcome = batchGetTraces(raw, { store: deps.segments });
  if (!outcome.ok) return outcome;
  const traces = [];
  const unprocessed = [...outcome.body.UnprocessedTraceIds];
  for (const trace of outcome.body.Traces) {
    const segments = trace.Segments.filter((s) => !deps.spans.isFromSpan(trace.Id, s.Id));
    if (segments.length === 0) unprocessed.push(trace.Id);
    else traces.push({ ...trace, Segments: segments });
  }
  return answer({ Traces: traces, UnprocessedTraceIds: unprocessed });
}
