/**
 * Registers xray-local's OTLP routes: POST /v1/traces (its own encapsulated body parsing: raw bytes,
 * protobuf or JSON, gzip) and the Transaction Search APIs (restJson1 POSTs, parsed by the app's JSON
 * parser). Per-span outcomes are counted in `meshray_xray_local_otlp_spans_total{outcome,reason}`, requests in `meshray_xray_local_otlp_requests_total{status}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import type { SegmentStore } from '../store/segment-store.ts';
import type { ApiOutcome } from '../api/api-outcome.ts';
import { errorBody } from '../api/api-outcome.ts';
import { decodeExportRequest, encodingOf, type OtlpEncoding } from './decode-export-request.ts';
import { ExportTraceServiceResponseType, RpcStatusType } from './otlp-schema.ts';
import { OTLP_ENDPOINT, checkSigV4Shape, receiveTraces } from './receive-traces.ts';
import { SpanStore, type TraceSegmentDestination } from './span-store.ts';
import {
  batchGetTracesOutsideSpans,
  cancelTraceRetrieval,
  getRetrievedTracesGraph,
  getTraceSegmentDestination,
  listRetrievedTraces,
  startTraceRetrieval,
  updateTraceSegmentDestination,
} from './transaction-search.ts';

export interface OtlpRouteDeps {
  readonly segments: SegmentStore;
  readonly registry: Registry;
  readonly nowMs: () => number;
  readonly throttle: TokenBucket | undefined;
  readonly throttleRatePerSecond: number;
  /** Bound on the spans kept for ListRetrievedTraces (defaults to 100,000). */
  readonly maxSpans?: number;
  /** A span store to use (tests); defaults to a new one with destination `destination`. */
  readonly spans?: SpanStore;
  /** The trace segment destination of a new span store: `XRay` (the AWS default) unless given. */
  readonly destination?: TraceSegmentDestination;
}

/** AWS's answer on /v1/traces while the trace segment destination is `XRay`. */
export const OTLP_NEEDS_TRANSACTION_SEARCH = 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.';

/** gRPC codes in the Status body (OTLP/HTTP "Failures": the code field mirrors the HTTP status). */
const GRPC_CODE: Record<number, number> = { 400: 3, 403: 7, 413: 3, 415: 3, 429: 8, 500: 13 };

function sendStatus(reply: FastifyReply, encoding: OtlpEncoding | undefined, status: number, message: string): FastifyReply {
  const code = GRPC_CODE[status] ?? 2;
  if (encoding === 'protobuf') {
    const bytes = RpcStatusType.encode(RpcStatusType.fromObject({ code, message })).finish();
    return reply.code(status).header('content-type', 'application/x-protobuf').send(Buffer.from(bytes));
  }
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify({ code, message }));
}

function sendApi<T>(reply: FastifyReply, outcome: ApiOutcome<T>): FastifyReply {
  if (outcome.ok) return reply.code(200).send(outcome.body);
  return reply.code(outcome.error.status).header('x-amzn-errortype', outcome.error.type).send(errorBody(outcome.error));
}

/** Registers the routes; returns the span store (shared with whoever embeds xray-local). */
export function registerOtlpRoutes(app: FastifyInstance, deps: OtlpRouteDeps): SpanStore {
  const spans = deps.spans ?? new SpanStore({ maxSpans: deps.maxSpans ?? 100_000, ...(deps.destination !== undefined ? { destination: deps.destination } : {}) });
  const counter = new Counter({
    name: 'meshray_xray_local_otlp_spans_total',
    help: 'OTLP spans received on /v1/traces, by outcome and reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [deps.registry],
  });
  const requests = new Counter({
    name: 'meshray_xray_local_otlp_requests_total',
    help: 'OTLP export requests on /v1/traces, by HTTP status',
    labelNames: ['status'] as const,
    registers: [deps.registry],
  });

  void app.register(async (otlp) => {
    otlp.removeAllContentTypeParsers();
    otlp.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: OTLP_ENDPOINT.maxRequestBytes + 1 }, (_req, body, done) => done(null, body));
    otlp.setErrorHandler((error: FastifyError, req, reply) => {
      const status = error.statusCode === 413 ? 413 : error.statusCode !== undefined && error.statusCode < 500 ? 400 : 500;
      requests.inc({ status: String(status) });
      const message = status === 413 ? `request body exceeds ${OTLP_ENDPOINT.maxRequestBytes} bytes (the OTLP endpoint's 5 MB limit)` : `malformed request: ${error.message}`;
      return sendStatus(reply, encodingOf(req.headers['content-type']), status, message);
    });
    otlp.post('/v1/traces', async (req, reply) => {
      const encoding = encodingOf(req.headers['content-type']);
      const refuse = (status: number, message: string): FastifyReply => {
        requests.inc({ status: String(status) });
        return sendStatus(reply, encoding, status, message);
      };
      const authProblem = checkSigV4Shape(req.headers.authorization);
      if (authProblem !== undefined) return refuse(403, authProblem);
      // As AWS does while Transaction Search is off (CloudWatch User Guide, "OTLP troubleshooting", which gives
      // the message but not the status: 400 here). Spans accepted now would not be stored in AWS.
      if (spans.destination !== 'CloudWatchLogs') return refuse(400, OTLP_NEEDS_TRANSACTION_SEARCH);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const decoded = decodeExportRequest(body, req.headers['content-type'], req.headers['content-encoding'] as string | undefined, OTLP_ENDPOINT.maxRequestBytes);
      if (!decoded.ok) return refuse(decoded.status, decoded.message);
      const outcome = receiveTraces(decoded.request, {
        segments: deps.segments,
        spans,
        throttle: deps.throttle,
        throttleRatePerSecond: deps.throttleRatePerSecond,
        nowMs: deps.nowMs(),
        onSpan: (result, reason) => counter.inc({ outcome: result, reason }),
      });
      if (outcome.kind === 'refused') {
        if (outcome.retryAfterSec !== undefined) reply.header('retry-after', String(outcome.retryAfterSec));
        return refuse(outcome.status, outcome.message);
      }
      requests.inc({ status: '200' });
      const response = outcome.rejectedSpans > 0 ? { partialSuccess: { rejectedSpans: String(outcome.rejectedSpans), errorMessage: outcome.errorMessage } } : {};
      if (decoded.encoding === 'protobuf') {
        const bytes = ExportTraceServiceResponseType.encode(ExportTraceServiceResponseType.fromObject(response)).finish();
        return reply.code(200).header('content-type', 'application/x-protobuf').send(Buffer.from(bytes));
      }
      return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(response));
    });
  });

  const ts = { segments: deps.segments, spans };
  app.post('/GetTraceSegmentDestination', async (_req, reply) => sendApi(reply, getTraceSegmentDestination(ts)));
  app.post('/UpdateTraceSegmentDestination', async (req, reply) => sendApi(reply, updateTraceSegmentDestination(req.body, ts)));
  app.post('/StartTraceRetrieval', async (req, reply) => sendApi(reply, startTraceRetrieval(req.body, ts)));
  app.post('/CancelTraceRetrieval', async (req, reply) => sendApi(reply, cancelTraceRetrieval(req.body, ts)));
  app.post('/ListRetrievedTraces', async (req, reply) => sendApi(reply, listRetrievedTraces(req.body, ts)));
  app.post('/GetRetrievedTracesGraph', async (req, reply) => sendApi(reply, getRetrievedTracesGraph(req.body, ts)));
  return spans;
}

/** BatchGetTraces as it answers once spans go to CloudWatch Logs (app.ts routes /Traces here). */
export { batchGetTracesOutsideSpans };
