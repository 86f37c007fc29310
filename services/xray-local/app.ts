import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { XRayClient } from '@aws-sdk/client-xray';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/edge/log/index.ts';
import { type HealthCheck, registerOpsRoutes } from '../../shared/edge/http/ops-routes.ts';
import { SegmentStore } from './store/segment-store.ts';
import { TokenBucket } from '../../shared/edge/resilience/token-bucket.ts';
import { createXRayLocalMetrics } from './metrics.ts';
import { type ApiOutcome, errorBody } from './api/api-outcome.ts';
import { putTraceSegments } from './api/put-trace-segments.ts';
import { inProcessXRayClient } from './api/in-process-client.ts';
import { getTraceSummaries } from './api/get-trace-summaries.ts';
import { batchGetTracesOutsideSpans, registerOtlpRoutes } from './otlp/register-otlp-routes.ts';
import type { TraceSegmentDestination } from './otlp/span-store.ts';
import { getServiceGraph } from './api/get-service-graph.ts';
import { getTraceGraph } from './api/get-trace-graph.ts';
import { registerConsoleRoutes } from './console/register-console-routes.ts';

/** Largest request body accepted (50 documents of 64 KB fit with room for JSON escaping). */
export const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export interface XRayLocalDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Store bound (XRAY_LOCAL_MAX_SEGMENTS); ignored when `store` is given. */
  readonly maxSegments: number;
  /** Emulated throttle (XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND); absent or 0 = off. */
  readonly throttleSegmentsPerSecond?: number;
  /** Clock for the throttle and receive times; defaults to Date.now. */
  readonly nowMs?: () => number;
  /** A store to serve (e.g. shared with an embedding process); defaults to a new one. */
  readonly store?: SegmentStore;
  /** Readiness check for /health/ready; defaults to always ready. */
  readonly ready?: HealthCheck;
  /**
   * The account's trace segment destination at start: `XRay` (the AWS default: /v1/traces refuses spans, as
   * AWS does while Transaction Search is off) or `CloudWatchLogs` (Transaction Search on). UpdateTraceSegmentDestination changes it.
   */
  readonly traceSegmentDestination?: TraceSegmentDestination;
  /** Serve HTTPS with this certificate and key (XRAY_LOCAL_TLS_CERT/KEY); absent: plain HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

function send<T>(reply: FastifyReply, outcome: ApiOutcome<T>): FastifyReply {
  if (outcome.ok) return reply.code(200).send(outcome.body);
  return reply.code(outcome.error.status).header('x-amzn-errortype', outcome.error.type).send(errorBody(outcome.error));
}

/**
 * xray-local's HTTP app: the X-Ray restJson1 API (PutTraceSegments, GetTraceSummaries, BatchGetTraces,
 * GetServiceGraph, GetTraceGraph), /health/*, /metrics and the console at `/`. Not started: call listen.
 */
export function buildApp(deps: XRayLocalDeps): FastifyInstance {
  return buildXRayLocal(deps).app;
}

/** xray-local embedded in a process: its HTTP app, and an X-Ray client answered by it in process (PutTraceSegments). */
export interface EmbeddedXRayLocal {
  readonly app: FastifyInstance;
  readonly client: Pick<XRayClient, 'send'>;
}

/** buildApp, plus the in-process client (api/in-process-client.ts) the all-in-one's translator exports through. */
export function buildXRayLocal(deps: XRayLocalDeps): EmbeddedXRayLocal {
  const nowMs = deps.nowMs ?? Date.now;
  const store = deps.store ?? new SegmentStore({ maxSegments: deps.maxSegments });
  const rate = deps.throttleSegmentsPerSecond ?? 0;
  const throttle = rate > 0 ? new TokenBucket({ ratePerSecond: rate, nowMs }) : undefined;
  const metrics = createXRayLocalMetrics(deps.registry, store);
  const log = deps.logger.child({ component: 'xray-local' });

  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'xray-local-http' }),
    // Lifecycle events only: no line per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    ...(deps.tls === undefined ? {} : { https: { cert: deps.tls.cert, key: deps.tls.key } }),
  }) as unknown as FastifyInstance;

  // restJson1 clients send application/json; accept any JSON body whatever its declared type. Plain
  // JSON.parse for application/json too: fastify's default (secure-json-parse) scans every body twice for
  // __proto__/constructor keys, ≈ 6 % of xray-local's CPU under load (issue 9); the handlers only read
  // members of the parsed body and never merge it into another object, so such keys poison nothing.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', '*'], { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const err = error as FastifyError;
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  // Zipkin spans posted here (`meshray send --target http://…:2000`) are told where they belong, whatever their
  // body (protobuf, gzip and v1 Thrift fail the JSON parser before the not-found handler runs: found by review).
  const ZIPKIN_ROUTE = /^\/api\/v[12]\/spans(?:[?#]|$)/;
  const notImplemented = (req: FastifyRequest, reply: FastifyReply): FastifyReply =>
    reply.code(404).header('x-amzn-errortype', 'UnknownOperationException')
      .send({ __type: 'UnknownOperationException', message: `xray-local does not implement ${req.method} ${req.url}${ZIPKIN_ROUTE.test(req.url)
        ? ': this is xray-local (the X-Ray API); Zipkin spans go to meshray\'s receiver (port 9411 by default: meshray start, meshray stack or meshray receiver)' : ''}` });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (ZIPKIN_ROUTE.test(req.url)) return notImplemented(req, reply);
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return send(reply, { ok: false, error: { type: 'InvalidRequestException', status: 400, message: `request body exceeds ${BODY_LIMIT_BYTES} bytes` } });
    }
    if (status >= 400 && status < 500) {
      return send(reply, { ok: false, error: { type: 'InvalidRequestException', status: 400, message: `malformed request: ${error.message}` } });
    }
    log.error({ err: error }, 'request failed');
    return reply.code(500).header('x-amzn-errortype', 'InternalFailure').send({ __type: 'InternalFailure', message: 'internal error' });
  });

  app.setNotFoundHandler((req, reply) => notImplemented(req, reply));

  const put = (input: unknown) => putTraceSegments(input, { store, metrics, throttle, nowMs });
  app.post('/TraceSegments', async (req, reply) => send(reply, put(req.body)));
  app.post('/TraceSummaries', async (req, reply) => send(reply, getTraceSummaries(req.body, { store, nowMs })));
  // OTLP /v1/traces and the Transaction Search APIs; BatchGetTraces leaves out what came as OTLP spans.
  const spans = registerOtlpRoutes(app, {
    segments: store, registry: deps.registry, nowMs, throttle, throttleRatePerSecond: rate,
    ...(deps.traceSegmentDestination !== undefined ? { destination: deps.traceSegmentDestination } : {}),
  });
  app.post('/Traces', async (req, reply) => send(reply, batchGetTracesOutsideSpans(req.body, { segments: store, spans })));
  app.post('/ServiceGraph', async (req, reply) => send(reply, getServiceGraph(req.body, { store })));
  app.post('/TraceGraph', async (req, reply) => send(reply, getTraceGraph(req.body, { store })));

  registerConsoleRoutes(app, { store, logger: deps.logger });

  registerOpsRoutes(app, { live: () => undefined, ready: deps.ready ?? (() => undefined), registry: deps.registry });

  // onListen, not onReady: said once the port is bound, so a port in use is never preceded by "ready".
  app.addHook('onListen', async () => {
    log.info({ maxSegments: deps.maxSegments, throttleSegmentsPerSecond: rate }, 'xray-local ready');
  });
  return { app, client: inProcessXRayClient(put) };
}
