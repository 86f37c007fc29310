import { createSecureContext } from 'node:tls';
import type { Server as HttpsServer } from 'node:https';
import { MeshrayError } from '../errors/index.ts';
import { ReloadingFiles } from './reloading-files.ts';

/** A PEM certificate chain and its private key. */
export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** The variables that name them, for the startup error (`RECEIVER_TLS_CERT`, `RECEIVER_TLS_KEY`). */
  readonly certVariable: string;
  readonly keyVariable: string;
}

/** Parses a pair: node's createSecureContext throws when the key does not match the certificate or either is not PEM. */
const parsePair = ([cert, key]: readonly Buffer[]): TlsPair => {
  const pair = { cert: cert!, key: key! };
  createSecureContext(pair);
  return pair;
};

/**
 * The TLS certificate and key files, read at startup (a missing, unreadable or mismatched pair is a
 * CONFIG_INVALID error naming both variables) and re-read while running: `watch(server)` installs each
 * new pair on the listening HTTPS server with `server.setSecureContext` (node:tls), so new connections
 * get the rotated certificate and established ones keep theirs.
 */
export class ReloadingTls {
  readonly #files: ReloadingFiles<TlsPair>;
  #server: Pick<HttpsServer, 'setSecureContext'> | undefined;

  constructor(files: TlsFiles, onError: (error: unknown) => void = () => undefined, onChange: () => void = () => undefined) {
    try {
      this.#files = new ReloadingFiles({
        paths: [files.certPath, files.keyPath],
        parse: parsePair,
        onChange: (pair) => { this.#server?.setSecureContext(pair); onChange(); },
        onError,
      });
    } catch (error) {
      throw new MeshrayError('CONFIG_INVALID',
        `invalid configuration: ${files.certVariable}=${files.certPath} and ${files.keyVariable}=${files.keyPath}: ${(error as Error).message}`,
        { cause: error });
    }
  }

  /** The pair in use (the https server options at startup). */
  get pair(): TlsPair { return this.#files.value; }

  /** Installs rotated pairs on `server` from now on. */
  watch(server: Pick<HttpsServer, 'setSecureContext'>): void { this.#server = server; }

  /** Re-reads the files now; true when a new pair was installed. */
  check(): boolean { return this.#files.check(); }

  start(intervalMs: number): void { this.#files.start(intervalMs); }

  stop(): void { this.#files.stop(); }
}
