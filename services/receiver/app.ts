import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { isMeshrayError, MeshrayError } from '../../shared/edge/errors/index.ts';
import { registerOpsRoutes } from '../../shared/edge/http/ops-routes.ts';
import type { TlsPair } from '../../shared/edge/http/tls.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import type { ReceiverConfig } from './config.ts';
import { receiverMetrics } from './metrics.ts';
import type { SpanPublisher } from './publish/span-publisher.ts';
import { registerAuthorization, type BearerTokens } from './receive/authorize.ts';
import { sendError, toErrorResponse } from './receive/error-response.ts';
import { registerSpanRoutes, SPAN_ROUTES } from './receive/routes.ts';

export interface AppDeps {
  readonly config: Pick<ReceiverConfig, 'MAX_BODY_BYTES' | 'MAX_SPANS_PER_REQUEST'>;
  readonly publisher: SpanPublisher;
  readonly logger: Logger;
  readonly registry: Registry;
  /** true when ready to take spans (publisher connected, not shutting down), else the reason it is not. */
  readonly isReady: () => true | string;
  /**
   * Whether the process still makes progress, or why not (GET /health/live answers 503 with it). Absent: live
   * while it answers. The all-in-one passes its translator's ConsumerHealth, so a stuck partition shows here.
   */
  readonly isLive?: () => true | string;
  /** The accepted bearer tokens now, when authentication is on (RECEIVER_AUTH_TOKENS[_FILE]); absent: open. */
  readonly tokens?: () => BearerTokens;
  /** HTTPS with this certificate and key (RECEIVER_TLS_CERT/KEY); absent: plain HTTP. */
  readonly tls?: TlsPair;
  /** Most connections open at once (RECEIVER_MAX_CONNECTIONS, node's server.maxConnections); 0/absent: no limit of its own. */
  readonly maxConnections?: number;
  /** The server's timeouts; absent: node's and fastify's defaults. */
  readonly timeouts?: ReceiverTimeouts;
}

/** The receiver's HTTP timeouts, in milliseconds (RECEIVER_*_TIMEOUT). */
export interface ReceiverTimeouts {
  /** Until a request's headers are in (node http.Server headersTimeout): slow-loris senders. */
  readonly headersMs: number;
  /** Until the whole request is in (node requestTimeout): stalled bodies. */
  readonly requestMs: number;
  /** Idle keep-alive connection between requests (keepAliveTimeout). */
  readonly keepAliveMs: number;
  /** Socket inactivity (fastify connectionTimeout, socket.setTimeout); 0 = none. */
  readonly connectionMs: number;
}

/**
 * Fastify/node server options for the timeouts and TLS. Node checks the headers and request timeouts
 * every `connectionsCheckingInterval` (30 s by default, which would let a 10 s headers timeout run to
 * 40 s): it is set to a quarter of the shorter timeout, at most 1 s. An expired request is answered
 * 408 by node and its connection closed.
 */
export function serverOptions(timeouts: ReceiverTimeouts | undefined, tls: TlsPair | undefined): Record<string, unknown> {
  const node = timeouts === undefined ? {} : {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4))),
  };
  const fastify = timeouts === undefined ? {} : {
    connectionTimeout: timeouts.connectionMs, keepAliveTimeout: timeouts.keepAliveMs, requestTimeout: timeouts.requestMs,
  };
  return tls === undefined
    ? { ...fastify, http: node }
    : { ...fastify, https: { ...node, cert: tls.cert, key: tls.key } };
}

/** The receiver's HTTP app (Zipkin span routes, health, metrics), not listening: main.ts starts it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const log = deps.logger.child({ component: 'http' });
  // Raw bodies are held to the decoded limit too: a compressed body larger than that is certainly too large.
  // HTTPS changes the instance's server type only; the routes are the same.
  // return503OnClosing: false. While the app closes (SIGTERM), a request already behind another on a kept-alive
  // connection got fastify's own 503: no Retry-After, not counted, its spans refused while the publisher still
  // took spans. It is served instead (fastify answers it with `Connection: close`), and the publisher drains it.
  // routerOptions.ignoreTrailingSlash: a collector configured with `…/api/v2/spans/` (a trailing slash) got 404 on every
  // POST, and Envoy drops what it cannot send (found by a newcomer's first hour).
  const app = Fastify({
    logger: false, bodyLimit: deps.config.MAX_BODY_BYTES, return503OnClosing: false, routerOptions: { ignoreTrailingSlash: true }, ...serverOptions(deps.timeouts, deps.tls),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  const metrics = receiverMetrics(deps.registry);
  // Past maxConnections node closes a new connection at once and emits 'drop'. Without a limit the process's
  // open-file limit is the bound: libuv then accepts and closes new connections (EMFILE), uncounted.
  if ((deps.maxConnections ?? 0) > 0) app.server.maxConnections = deps.maxConnections ?? 0;
  app.server.on('drop', () => metrics.connectionsDropped.inc());
  const tokens = deps.tokens;
  if (tokens !== undefined) {
    // A refused request counts as one, like an undecodable body (its spans are never read).
    registerAuthorization(app, { tokens, onRefused: () => metrics.spansRefused.inc({ reason: 'unauthorized' }) });
  }
  const limits = { maxBodyBytes: deps.config.MAX_BODY_BYTES };
  app.setErrorHandler((err, req, reply) => {
    const answer = toErrorResponse(err, limits);
    if (!isMeshrayError(err) && answer.status >= 500) log.error({ err }, 'request failed unexpectedly');
    // A span request refused before the route ran (a raw body over MAX_BODY_BYTES): its spans cannot be counted, the request counts as one.
    if (answer.status < 500 && answer.body.error !== 'INTERNAL' && Object.values(SPAN_ROUTES).includes(req.routeOptions.url ?? '')) {
      metrics.spansRefused.inc({ reason: answer.body.error.toLowerCase() });
    }
    return sendError(reply, err, limits);
  });
  registerSpanRoutes(app, {
    publisher: deps.publisher,
    maxBodyBytes: deps.config.MAX_BODY_BYTES,
    maxSpansPerRequest: deps.config.MAX_SPANS_PER_REQUEST,
    metrics,
    logger: log,
  });
  registerOpsRoutes(app, {
    live: () => {
      const r = deps.isLive?.() ?? true;
      return r === true ? undefined : r;
    },
    ready: () => {
      const r = deps.isReady();
      return r === true ? undefined : r;
    },
    registry: deps.registry,
  });
  // Zipkin's query API (GET /api/v2/spans, /api/v2/traces, …) is not served: say what is, in the catalogue's shape.
  app.setNotFoundHandler((req, reply) => sendError(reply, new MeshrayError('ROUTE_NOT_FOUND',
    `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}: the receiver takes spans by POST ${SPAN_ROUTES.v2} or POST ${SPAN_ROUTES.v1} `
    + '(Zipkin\'s query API is not served: the traces are in X-Ray), and answers GET /health/live, /health/ready and /metrics')));
  return app;
}
