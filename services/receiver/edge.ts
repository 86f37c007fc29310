import type { Server as HttpsServer } from 'node:https';
import type { ReloadingFiles } from '../../shared/edge/http/reloading-files.ts';
import { ReloadingTls, type TlsPair } from '../../shared/edge/http/tls.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import type { ReceiverTimeouts } from './app.ts';
import type { ReceiverConfig, receiverEdgeEnv } from './config.ts';
import { BearerTokens, reloadingTokenFile } from './receive/authorize.ts';

/** What the receiver's edge is made of under a configuration: authentication, TLS, timeouts. */
export interface ReceiverEdge {
  /** The tokens in use now; absent when authentication is off. */
  readonly tokens?: () => BearerTokens;
  readonly tls?: TlsPair;
  readonly timeouts: ReceiverTimeouts;
  /** RECEIVER_MAX_CONNECTIONS (0: no limit of its own). */
  readonly maxConnections: number;
  /** How the edge is set up, for the startup log line (never a token). */
  readonly description: { readonly auth: 'off' | 'tokens' | 'token-file'; readonly tls: boolean; readonly timeouts: ReceiverTimeouts; readonly maxConnections: number };
  /** Starts re-reading the token file and TLS files every RECEIVER_FILE_RELOAD_INTERVAL, installing TLS pairs on `server`. */
  start(server: unknown): void;
  stop(): void;
}

/**
 * Reads the token file and the TLS pair (CONFIG_INVALID naming the variable when they cannot be read)
 * and turns the timeout keys into the server's options. A reloaded file is one info line; a changed
 * file that cannot be used (half-written pair, empty token file) is one warn line, the old one stays.
 */
export function receiverEdge(config: Pick<ReceiverConfig, keyof typeof receiverEdgeEnv>, logger: Logger): ReceiverEdge {
  const log = logger.child({ component: 'edge' });
  let tokenFile: ReloadingFiles<BearerTokens> | undefined;
  let tokens: (() => BearerTokens) | undefined;
  if (config.RECEIVER_AUTH_TOKENS !== undefined) {
    const fixed = new BearerTokens(config.RECEIVER_AUTH_TOKENS);
    tokens = () => fixed;
  } else if (config.RECEIVER_AUTH_TOKENS_FILE !== undefined) {
    const file = reloadingTokenFile(config.RECEIVER_AUTH_TOKENS_FILE,
      (err) => log.warn({ file: config.RECEIVER_AUTH_TOKENS_FILE, err: String(err) }, 'token file changed but cannot be used; the previous tokens stay'),
      (count) => log.info({ file: config.RECEIVER_AUTH_TOKENS_FILE, tokens: count }, 'token file reloaded'));
    tokenFile = file;
    tokens = () => file.value;
  }
  const tls = config.RECEIVER_TLS_CERT !== undefined && config.RECEIVER_TLS_KEY !== undefined
    ? new ReloadingTls(
      { certPath: config.RECEIVER_TLS_CERT, keyPath: config.RECEIVER_TLS_KEY, certVariable: 'RECEIVER_TLS_CERT', keyVariable: 'RECEIVER_TLS_KEY' },
      (err) => log.warn({ cert: config.RECEIVER_TLS_CERT, err: String(err) }, 'TLS files changed but cannot be used; the previous certificate stays'),
      () => log.info({ cert: config.RECEIVER_TLS_CERT }, 'TLS certificate reloaded'))
    : undefined;
  const timeouts: ReceiverTimeouts = {
    headersMs: config.RECEIVER_HEADERS_TIMEOUT,
    requestMs: config.RECEIVER_REQUEST_TIMEOUT,
    keepAliveMs: config.RECEIVER_KEEP_ALIVE_TIMEOUT,
    connectionMs: config.RECEIVER_CONNECTION_TIMEOUT,
  };
  return {
    ...(tokens === undefined ? {} : { tokens }),
    ...(tls === undefined ? {} : { tls: tls.pair }),
    timeouts,
    maxConnections: config.RECEIVER_MAX_CONNECTIONS,
    description: { auth: tokenFile ? 'token-file' : tokens ? 'tokens' : 'off', tls: tls !== undefined, timeouts, maxConnections: config.RECEIVER_MAX_CONNECTIONS },
    start(server) {
      tokenFile?.start(config.RECEIVER_FILE_RELOAD_INTERVAL);
      if (tls) {
        tls.watch(server as HttpsServer);
        tls.start(config.RECEIVER_FILE_RELOAD_INTERVAL);
      }
    },
    stop() {
      tokenFile?.stop();
      tls?.stop();
    },
  };
}
