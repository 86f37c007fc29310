/**
 * A PRIVATE real redis-server on its own port (never the machine's shared :6379), which a test may stop
 * and start again on the same port.
 */
import { connect } from 'node:net';
import { freePort } from './ports.ts';
import { spawnProcess, type ServiceProcess } from './processes.ts';
import { waitFor } from '../../support/wait.ts';

export class PrivateRedis {
  readonly port: number;
  #proc: ServiceProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#proc !== undefined && !this.#proc.exited;
  }

  output(): string {
    return this.#proc?.output() ?? '';
  }

  /** Starts redis-server on `port` (no persistence) and waits for PONG. */
  async restart(): Promise<void> {
    if (this.running) return;
    this.#proc = spawnProcess(`redis-server:${this.port}`, 'redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no',
    ]);
    await waitFor(`redis-server on ${this.port}`, 10_000, () => ping(this.port), { describe: () => this.output() });
  }

  /** Stops it (SIGKILL: a crash, nothing flushed) and waits until the port refuses connections. */
  async stop(): Promise<void> {
    await this.#proc?.kill9();
    await waitFor(`redis-server on ${this.port} to be gone`, 5_000, async () => !(await ping(this.port)));
  }
}

/** True when a redis at 127.0.0.1:port answers PING. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
