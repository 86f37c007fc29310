#!/usr/bin/env node
/** xray-local's composition root: config, logger, metrics, app, listen, graceful shutdown. */
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../shared/edge/config/index.ts';
import { listenOn } from '../../shared/edge/http/listen.ts';
import { ReloadingTls } from '../../shared/edge/http/tls.ts';
import { createLogger } from '../../shared/edge/log/index.ts';
import { createRegistry } from '../../shared/edge/metrics/registry.ts';
import { buildApp } from './app.ts';
import { isLoopbackHost, xrayLocalConfigSchema } from './config.ts';

/** How often XRAY_LOCAL_TLS_CERT/KEY are re-read for a rotated pair. */
export const TLS_RELOAD_INTERVAL_MS = 10_000;

export interface RunningXRayLocal {
  readonly app: FastifyInstance;
  /** Stops accepting requests and closes the listener. */
  close(): Promise<void>;
}

/** Starts xray-local from environment variables; resolves once it listens. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<RunningXRayLocal> {
  // Every composition root opens alike (config, logger, registry): the steps are one line each, from shared/edge.
  const config = loadConfig(xrayLocalConfigSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'xray-local' });
  const log = logger.child({ component: 'main' });
  const registry = createRegistry({ defaultMetrics: true });
  let closing = false;
  const tls = config.XRAY_LOCAL_TLS_CERT !== undefined && config.XRAY_LOCAL_TLS_KEY !== undefined
    ? new ReloadingTls(
      { certPath: config.XRAY_LOCAL_TLS_CERT, keyPath: config.XRAY_LOCAL_TLS_KEY, certVariable: 'XRAY_LOCAL_TLS_CERT', keyVariable: 'XRAY_LOCAL_TLS_KEY' },
      (err) => log.warn({ err: String(err) }, 'TLS files changed but cannot be used; the previous certificate stays'),
      () => log.info({ cert: config.XRAY_LOCAL_TLS_CERT }, 'TLS certificate reloaded'))
    : undefined;
  const app = buildApp({
    ...(tls === undefined ? {} : { tls: tls.pair }),
    logger,
    registry,
    maxSegments: config.XRAY_LOCAL_MAX_SEGMENTS,
    throttleSegmentsPerSecond: config.XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND,
    traceSegmentDestination: config.XRAY_LOCAL_TRACE_SEGMENT_DESTINATION,
    ready: () => (closing ? 'shutting down' : undefined),
  });
  const address = await listenOn(app, {
    port: config.XRAY_LOCAL_PORT, host: config.XRAY_LOCAL_HOST, portVariable: 'XRAY_LOCAL_PORT', hostVariable: 'XRAY_LOCAL_HOST',
  });
  if (tls) {
    tls.watch(app.server as never);
    tls.start(TLS_RELOAD_INTERVAL_MS);
  }
  // No authentication by design: say who can reach it.
  log.info({ address, host: config.XRAY_LOCAL_HOST, tls: tls !== undefined }, isLoopbackHost(config.XRAY_LOCAL_HOST)
    ? `xray-local listening on ${config.XRAY_LOCAL_HOST} only (no authentication; set XRAY_LOCAL_HOST=0.0.0.0 to accept other machines)`
    : `xray-local listening on ${config.XRAY_LOCAL_HOST}: reachable from other machines, with no authentication`);
  return {
    app,
    async close() {
      closing = true;
      tls?.stop();
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
