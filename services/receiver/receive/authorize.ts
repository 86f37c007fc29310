import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { MeshrayError, type ErrorCode } from '../../../shared/edge/errors/index.ts';
import { ReloadingFiles } from '../../../shared/edge/http/reloading-files.ts';

/** `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive, RFC 7235 §2.1). */
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The accepted bearer tokens, held as SHA-256 digests. `accepts` hashes the presented token and compares
 * it with every accepted digest through crypto.timingSafeEqual (fixed 32-byte inputs, no early exit), so
 * neither the comparison's duration nor a length check tells a sender how much of a token was right.
 */
export class BearerTokens {
  readonly #digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digestOf);
  }

  get size(): number { return this.#digests.length; }

  /** True when `authorization` (the header's value) is `Bearer <one of the tokens>`. */
  accepts(authorization: string | undefined): boolean {
    const m = authorization === undefined ? null : BEARER.exec(authorization);
    const presented = digestOf(m?.[1] ?? '');
    let matched = false;
    for (const d of this.#digests) matched = timingSafeEqual(presented, d) || matched;
    return m !== null && matched;
  }
}

/** Tokens of a token file: one per line; blank lines and lines starting with # are ignored. */
export function parseTokenFile(contents: string): string[] {
  return contents.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
}

/**
 * RECEIVER_AUTH_TOKENS_FILE, re-read when it changes (ReloadingFiles). A missing or empty file at
 * startup is CONFIG_INVALID; an empty file later is refused (the old tokens stay) so an operator's
 * half-written file does not open the port nor lock every sender out.
 */
export function reloadingTokenFile(path: string, onError: (e: unknown) => void, onChange: (n: number) => void): ReloadingFiles<BearerTokens> {
  const parse = ([contents]: readonly Buffer[]): BearerTokens => {
    const tokens = parseTokenFile(contents!.toString('utf8'));
    if (tokens.length === 0) throw new Error(`${path} holds no token`);
    return new BearerTokens(tokens);
  };
  try {
    return new ReloadingFiles({ paths: [path], parse, onError, onChange: (t) => onChange(t.size) });
  } catch (error) {
    throw new MeshrayError('CONFIG_INVALID', `invalid configuration: RECEIVER_AUTH_TOKENS_FILE=${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Paths answered without a token: the probes and the Prometheus scrape (shared/edge/http/ops-routes.ts). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);

export interface AuthorizeDeps {
  /** The tokens in use now (a reloaded file swaps them). */
  readonly tokens: () => BearerTokens;
  /** Counts one refused request (meshray_receiver_spans_refused_total{reason="unauthorized"}). */
  readonly onRefused: () => void;
}

/**
 * Refuses every request but the probes and /metrics that lacks a valid bearer token: 401 with
 * `WWW-Authenticate: Bearer realm="meshray"` and `Connection: close`, answered in an onRequest hook,
 * i.e. before fastify reads or parses the body (the connection is closed rather than drained).
 */
export function registerAuthorization(app: FastifyInstance, deps: AuthorizeDeps): void {
  app.addHook('onRequest', (req, reply, done) => {
    // The routes take a trailing slash (app.ts ignoreTrailingSlash): /metrics/ is as open as /metrics.
    const path = (req.url.split('?', 1)[0] ?? req.url).replace(/(.)\/$/, '$1');
    const header = req.headers.authorization;
    if (OPEN_PATHS.has(path) || deps.tokens().accepts(header)) {
      done();
      return;
    }
    deps.onRefused();
    // RFC 6750 §3: no error code when no credentials were presented.
    reply.code(401)
      .header('www-authenticate', header === undefined ? 'Bearer realm="meshray"' : 'Bearer realm="meshray", error="invalid_token"')
      .header('connection', 'close')
      .send({ error: 'UNAUTHORIZED' satisfies ErrorCode, message: header === undefined ? 'Authorization: Bearer <token> is required' : 'the bearer token is not accepted' });
  });
}
