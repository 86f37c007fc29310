/**
 * meshray's receiver and translators as separate OS processes through the CLI, configured like a
 * deployment: the real broker (KAFKA_BROKERS), Redis, and an xray-local endpoint.
 */
import { freePort } from './ports.ts';
import { KAFKA_BROKERS } from './kafka.ts';
import { describeProcesses, spawnCli, type ServiceProcess } from './processes.ts';
import { waitFor } from '../../support/wait.ts';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface RunningService {
  readonly proc: ServiceProcess;
  readonly port: number;
  readonly url: string;
}

/** Polls `${url}/health/ready` until 200; fails early (with its output) if the process exits. */
async function waitReady(proc: ServiceProcess, url: string, timeoutMs: number): Promise<void> {
  await waitFor(`${proc.label} ready at ${url}/health/ready`, timeoutMs, async () => {
    if (proc.exited) throw new Error(`${proc.label} exited during start:\n${describeProcesses([proc])}`);
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  }, { intervalMs: 250, describe: () => describeProcesses([proc]) });
  if (proc.exited) throw new Error(`${proc.label} exited during start:\n${describeProcesses([proc])}`);
}

export async function startReceiver(label: string, o: { spansTopic: string; env?: Record<string, string> }): Promise<RunningService> {
  const port = await freePort();
  const proc = spawnCli(label, 'receiver', {
    KAFKA_BROKERS,
    SPANS_TOPIC: o.spansTopic,
    RECEIVER_PORT: String(port),
    RECEIVER_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...o.env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, url, 60_000);
  return { proc, port, url };
}

export interface TranslatorOptions {
  readonly spansTopic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly xrayEndpoint: string;
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
  /** Wait until it joined the group (/health/ready); default true. */
  readonly waitJoined?: boolean;
}

/** A translator process; `url` is its ops listener (/health/*, /metrics). */
export async function startTranslator(label: string, o: TranslatorOptions): Promise<RunningService> {
  const port = await freePort();
  const proc = spawnCli(label, 'translator', {
    KAFKA_BROKERS,
    SPANS_TOPIC: o.spansTopic,
    DLQ_TOPIC: o.dlqTopic,
    TRANSLATOR_GROUP_ID: o.groupId,
    XRAY_ENDPOINT: o.xrayEndpoint,
    TRANSLATOR_OPS_PORT: String(port),
    OPS_HOST: '127.0.0.1',
    REDIS_URL: o.redisUrl ?? REDIS_URL,
    LOG_LEVEL: 'warn',
    ...o.env,
  });
  const url = `http://127.0.0.1:${port}`;
  if (o.waitJoined ?? true) await waitReady(proc, url, 90_000);
  return { proc, port, url };
}

/**
 * A receiver on `names.spansTopic` and one translator per label (its group, DLQ, and `xrayEndpoint`, or
 * `xrayEndpoint[i]` for the i-th), started side by side, as a deployment has them. Their processes are
 * added to `procs` as soon as all answer ready, so the test's `finally` stops them.
 */
export async function startPipeline<const L extends readonly string[]>(
  names: { readonly spansTopic: string; readonly dlqTopic: string; readonly groupId: string },
  translators: L,
  o: { readonly xrayEndpoint: string | readonly string[]; readonly redisUrl?: string },
  procs: ServiceProcess[],
): Promise<{ receiver: RunningService; translators: { -readonly [K in keyof L]: RunningService } }> {
  const endpointOf = (i: number): string => (typeof o.xrayEndpoint === 'string' ? o.xrayEndpoint : o.xrayEndpoint[i] ?? '');
  const [receiver, ...started] = await Promise.all([
    startReceiver('receiver', { spansTopic: names.spansTopic }),
    ...translators.map((label, i) => startTranslator(label, {
      ...names, xrayEndpoint: endpointOf(i), ...(o.redisUrl === undefined ? {} : { redisUrl: o.redisUrl }),
    })),
  ]);
  procs.push((receiver as RunningService).proc, ...started.map((t) => t.proc));
  return { receiver: receiver as RunningService, translators: started as { -readonly [K in keyof L]: RunningService } };
}
