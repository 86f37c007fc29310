import { createServer } from 'node:net';
import type { CommandIo } from '../../commands.ts';

/** True when `port` can be bound on all interfaces right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free. */
function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, exclusive: true }, () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The port for a service: the variable's value when set (used as is: a busy one then fails with the
 * service's one-line PORT_UNAVAILABLE), else `preferred` when free and not taken by an earlier pick, else one the OS picks.
 * A preferred port that was busy is noted in `moved` (the banner says so: a command copied from the README
 * with the usual port would reach whatever holds it, named by `holderOf` when it is a running meshray).
 */
export async function pickPort(
  env: CommandIo['env'], variable: string, preferred: number, taken: Set<number>, moved: string[],
  holderOf: (port: number) => string = () => 'another program?',
): Promise<number> {
  const given = env[variable];
  let port: number;
  if (given !== undefined && given !== '') port = Number(given);
  else if (!taken.has(preferred) && (await portIsFree(preferred))) port = preferred;
  else {
    do port = await osFreePort(); while (taken.has(port));
    moved.push(`port ${preferred} is in use (${holderOf(preferred)}): ${variable} is ${port} instead; set ${variable} to choose`);
  }
  taken.add(port);
  return port;
}
