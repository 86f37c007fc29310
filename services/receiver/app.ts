import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { isMeshrayError } from '../../shared/errors/index.ts';
import { registerOpsRoutes } from '../../shared/http/ops-routes.ts';
import type { Logger } from '../../shared/log/index.ts';
import type { ReceiverConfig } from './config.ts';
import { receiverMetrics } from './metrics.ts';
import type { SpanPublisher } from './publish/span-publisher.ts';
import { sendError, toErrorResponse } from './receive/error-response.ts';
import { registerSpanRoutes } from './receive/routes.ts';

export interface AppDeps {
  readonly config: Pick<ReceiverConfig, 'MAX_BODY_BYTES' | 'MAX_SPANS_PER_REQUEST'>;
  readonly publisher: SpanPublisher;
  readonly logger: Logger;
  readonly registry: Registry;
  /** true when ready to take spans (publisher connected, not shutting down), else the reason it is not. */
  readonly isReady: () => true | string;
}

/** The receiver's HTTP app (Zipkin span routes, health, metrics), not listening: main.ts starts it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const log = deps.logger.child({ component: 'http' });
  // Raw bodies are held to the decoded limit too: a compressed body larger than that is certainly too large.
  const app = Fastify({ logger: false, bodyLimit: deps.config.MAX_BODY_BYTES });
  app.setErrorHandler((err, _req, reply) => {
    if (!isMeshrayError(err) && toErrorResponse(err).status >= 500) log.error({ err }, 'request failed unexpectedly');
    return sendError(reply, err);
  });
  registerSpanRoutes(app, {
    publisher: deps.publisher,
    maxBodyBytes: deps.config.MAX_BODY_BYTES,
    maxSpansPerRequest: deps.config.MAX_SPANS_PER_REQUEST,
    metrics: receiverMetrics(deps.registry),
    logger: log,
  });
  registerOpsRoutes(app, {
    live: () => undefined,
    ready: () => {
      const r = deps.isReady();
      return r === true ? undefined : r;
    },
    registry: deps.registry,
  });
  return app;
}
