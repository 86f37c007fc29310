import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../shared/edge/log/index.ts';
import type { SegmentStore } from '../store/segment-store.ts';
import { renderConsolePage } from './console-page.ts';
import { type LoadedConsoleAssets, loadConsoleAssets } from './load-console-assets.ts';

export interface ConsoleRouteDeps {
  readonly store: SegmentStore;
  readonly logger: Logger;
  /** Defaults to loadConsoleAssets (bundle from source, else read dist/). */
  readonly loadAssets?: () => Promise<LoadedConsoleAssets>;
}

/**
 * GET / (the console page), GET /console/app.js and /console/app.css. Assets are loaded on first request
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

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(renderConsolePage(deps.store)));
  app.get('/console/app.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send((await getAssets()).js));
  app.get('/console/app.css', async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send((await getAssets()).css));
}
