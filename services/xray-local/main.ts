#!/usr/bin/env node
/** xray-local's composition root: config, logger, metrics, app, listen, graceful shutdown. */
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../shared/config/index.ts';
import { listenOn } from '../../shared/http/listen.ts';
import { createLogger } from '../../shared/log/index.ts';
import { createRegistry } from '../../shared/metrics/registry.ts';
import { buildApp } from './app.ts';
import { xrayLocalConfigSchema } from './config.ts';

export interface RunningXRayLocal {
  readonly app: FastifyInstance;
  /** Stops accepting requests and closes the listener. */
  close(): Promise<void>;
}

/** Starts xray-local from environment variables; resolves once it listens. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<RunningXRayLocal> {
  const config = loadConfig(xrayLocalConfigSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'xray-local' });
  const log = logger.child({ component: 'main' });
  const registry = createRegistry({ defaultMetrics: true });
  let closing = false;
  const app = buildApp({
    logger,
    registry,
    maxSegments: config.XRAY_LOCAL_MAX_SEGMENTS,
    throttleSegmentsPerSecond: config.XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND,
    ready: () => (closing ? 'shutting down' : undefined),
  });
  const address = await listenOn(app, {
    port: config.XRAY_LOCAL_PORT, host: config.XRAY_LOCAL_HOST, portVariable: 'XRAY_LOCAL_PORT', hostVariable: 'XRAY_LOCAL_HOST',
  });
  log.info({ address }, 'xray-local listening');
  return {
    app,
    async close() {
      closing = true;
      log.info('xray-local shutting down');
      await app.close();
      log.info('xray-local stopped');
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await main();
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    running.app.log.info({ signal }, 'signal received');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
