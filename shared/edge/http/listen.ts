import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { MeshrayError } from '../errors/index.ts';

export interface ListenTarget {
  readonly port: number;
  readonly host: string;
  /** The environment variable that sets `port` (`RECEIVER_PORT`, `TRANSLATOR_OPS_PORT`, `XRAY_LOCAL_PORT`, …). */
  readonly portVariable: string;
  /** The variable that sets `host`, named when the address cannot be bound. */
  readonly hostVariable?: string;
}

/** Node's listen error codes that mean "this port/address cannot be used", with what to do about each. */
const CAUSES: Readonly<Record<string, (t: ListenTarget) => string>> = {
  EADDRINUSE: (t) => `port ${t.port} on ${t.host} is already in use; set ${t.portVariable} to a free port`,
  EACCES: (t) => `port ${t.port} on ${t.host} needs privileges this process lacks; set ${t.portVariable} to a port ≥ 1024`,
  EADDRNOTAVAIL: (t) => `address ${t.host} is not an address of this machine; set ${t.hostVariable ?? 'the host variable'} to one that is (0.0.0.0: all)`,
};

/**
 * Starts a fastify app listening; resolves with the URL of the address it is bound to (boundUrlOf). A port that cannot be used becomes one
 * `PORT_UNAVAILABLE` MeshrayError naming the variable and the port, e.g.
 * `RECEIVER_PORT=9411: port 9411 on 0.0.0.0 is already in use; set RECEIVER_PORT to a free port`
 * (the CLI prints it as one line and exits 1). Other errors are rethrown as they are.
 */
export async function listenOn(app: FastifyInstance, target: ListenTarget): Promise<string> {
  let first: string;
  try {
    first = await app.listen({ port: target.port, host: target.host });
  } catch (error) {
    throw listenError(error, target) ?? error;
  }
  return boundUrlOf(first, app.server.address());
}

/**
 * The URL of the address the server is bound to: fastify answers the first of its addresses (`127.0.0.1`
 * for a server bound to `0.0.0.0`), which hid that it listened on every interface (found by the newcomer
 * trial). A wildcard bind is said as such (`http://0.0.0.0:9411`, `http://[::]:9411`).
 */
export function boundUrlOf(fastifyUrl: string, bound: ReturnType<FastifyInstance['server']['address']>): string {
  if (bound === null || typeof bound === 'string') return fastifyUrl;
  const scheme = fastifyUrl.startsWith('https:') ? 'https' : 'http';
  const host = bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return `${scheme}://${host}:${bound.port}`;
}

/** The PORT_UNAVAILABLE error for a listen failure, or undefined when it is not a port problem. */
export function listenError(error: unknown, target: ListenTarget): MeshrayError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const explain = typeof code === 'string' ? CAUSES[code] : undefined;
  if (explain === undefined) return undefined;
  return new MeshrayError('PORT_UNAVAILABLE', `${target.portVariable}=${target.port}: ${explain(target)}`, { cause: error });
}

/**
 * Checks, before anything listens, that each target's port can be bound (bind, then close at once), and
 * throws one PORT_UNAVAILABLE naming every one that cannot: a process that listens on two ports names
 * both, not just the first it tried. Port 0 is skipped. Another program may still take a port between
 * this check and the real listen; listenOn then reports it.
 * @throws MeshrayError PORT_UNAVAILABLE (messages joined with "; ").
 */
export async function assertPortsFree(targets: readonly ListenTarget[]): Promise<void> {
  const problems = await Promise.all(targets.filter((t) => t.port !== 0).map(async (t) => {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: t.port, host: t.host, exclusive: true }, resolve);
      });
      return undefined;
    } catch (error) {
      return listenError(error, t) ?? new MeshrayError('PORT_UNAVAILABLE', `${t.portVariable}=${t.port}: ${(error as Error).message}`, { cause: error });
    } finally {
      await new Promise<void>((resolve) => { server.close(() => resolve()); });
    }
  }));
  const found = problems.filter((p): p is MeshrayError => p !== undefined);
  if (found.length > 0) throw new MeshrayError('PORT_UNAVAILABLE', found.map((p) => p.message).join('; '), { cause: found[0]?.cause });
}
