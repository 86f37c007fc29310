import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../shared/edge/log/index.ts';
import type { SegmentStore } from '../store/segment-store.ts';
import { renderConsolePage } from './console-page.ts';
import { type LoadedConsoleAssets, loadConsoleAssets } from './load-console-assets.ts';

/** A Zipkin trace id as Envoy propagates it (`x-b3-traceid`): 16 or 32 hex digits. */
const ZIPKIN_TRACE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;

export interface ConsoleRouteDeps {
  readonly store: SegmentStore;
  readonly logger: Logger;
  /** Defaults to loadConsoleAssets (bundle from source, else read dist/). */
  readonly loadAssets?: () => Promise<LoadedConsoleAssets>;
}

/**
 * GET / (the console page), GET /console/app.js and /console/app.css, and GET /console/zipkin-trace/:id (the X-Ray
 * ids stored for a Zipkin trace id). Assets are loaded on first request
 * and kept; a failed load is retried on the next request.
 */
export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const log = deps.logger.child({ component: 'xray-local-console' });
  const load = deps.loadAssets ?? loadConsoleAssets;
  let assets: Promise<LoadedConsoleAssets> | undefined;
  const getAssets = (): Promise<LoadedConsoleAssets> => {
    if (!assets) {
      const startedMs = Date.now();
      assets = load().then(
        (loaded) => {
          log.info({ origin: loaded.origin, jsBytes: loaded.js.length, cssBytes: loaded.css.length, ms: Date.now() - startedMs }, 'console assets ready');
          return loaded;
        },
        (error: unknown) => {
          assets = undefined;
          throw error;
        },
      );
    }
    return assets;
  };

  // A Zipkin (Envoy `x-b3-traceid`) or W3C trace id → the X-Ray ids stored for it: the translator may have rewritten
  // the id's first 8 hex digits (its epoch), so the console looked it up as given and said it was never received.
  app.get<{ Params: { id: string } }>('/console/zipkin-trace/:id', async (req, reply) => {
    const id = req.params.id.toLowerCase();
    if (!ZIPKIN_TRACE_ID.test(id)) return reply.code(400).send({ message: `${req.params.id} is not a Zipkin trace id (16 or 32 hex digits)` });
    // By the low 64 bits: a trace whose spans carry both widths of one id (a 128-bit id and its low half) is keyed by
    // them, and its X-Ray id's other 8 digits come from whichever span was seen first (shared/core/xray translate.ts).
    return reply.header('cache-control', 'no-cache').send({ traceIds: deps.store.traceIdsEndingWith(id.slice(-16)) });
  });
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(renderConsolePage(deps.store)));
  app.get('/console/app.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send((await getAssets()).js));
  app.get('/console/app.css', async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send((await getAssets()).css));
}
