import type { CommandIo } from '../commands.ts';
import type { AllInOneConfig, RunningAllInOne } from '../../all-in-one/index.ts';
import { KNOWN_VARIABLES, misdirectingTypos, serviceArgsExit } from '../command-args.ts';
import { chooseExportTarget } from '../../../shared/edge/config/index.ts';
import { runUntilSignal } from '../run-until-signal.ts';
import { announceReceiver, runtimeDirOf, thisProcess } from '../running-receivers.ts';

const HELP = `usage: meshray start

All-in-one: the Zipkin receiver on :9411, the translator and xray-local (X-Ray API and console) on :2000
in one process. An in-process topic stands in for Kafka. Set XRAY_ENDPOINT, or AWS_REGION with AWS
credentials, to export to that X-Ray instead of the embedded xray-local. EXPORT_PROTOCOL=otlp sends OTLP
spans to <endpoint>/v1/traces (SigV4; the embedded xray-local plays an account with Transaction Search on)
instead of PutTraceSegments. Configured by environment variables only:

`;

/**
 * How `meshray start` reads its arguments and checks its environment. typosOf: a typo of another service's variable
 * (KAFKA_BROKER) is named too (it was ignored without a word); the start then says it does not use KAFKA_BROKERS.
 * refusedTypos: a typo of XRAY_ENDPOINT while the export would go to the embedded xray-local stops the start, as it
 * stops `meshray stack` (a newcomer trial: `XRAY_ENDPIONT=https://xray…` was a warning, and the spans meant for AWS
 * went to memory).
 */
export const START_ARGS = {
  name: 'start', usage: HELP, loadSchema: async () => (await import('../../all-in-one/index.ts')).allInOneEnvSchema, typosOf: KNOWN_VARIABLES,
  refusedTypos: (env: CommandIo['env']) => {
    const target = chooseExportTarget({ XRAY_ENDPOINT: env['XRAY_ENDPOINT'] || undefined, AWS_REGION: env['AWS_REGION'] || undefined }, env);
    return target.kind !== 'embedded' ? new Map<string, string>()
      : misdirectingTypos(env, { XRAY_ENDPOINT: 'without it the spans go to the embedded xray-local, which keeps traces in memory only' });
  },
} as const;

/** The TCP port a started app listens on, or undefined. */
const portOf = (app: { server: { address(): unknown } } | undefined): number | undefined => {
  const address = app?.server.address();
  return typeof address === 'object' && address !== null && 'port' in address ? (address as { port: number }).port : undefined;
};

/** Where a person reaches a server bound to `host`: loopback for a wildcard bind, else the host itself (IPv6 in brackets). */
const reachableHost = (host: string | undefined): string => {
  if (host === undefined || host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

/** The receiver's base URL as a person (or `meshray send`) reaches it, e.g. `http://127.0.0.1:9411`. */
const receiverUrlOf = (running: Pick<RunningAllInOne, 'receiver'>, config: AllInOneConfig): string =>
  `${config.RECEIVER_TLS_CERT === undefined ? 'http' : 'https'}://${reachableHost(config.RECEIVER_HOST)}:${portOf(running.receiver) ?? '?'}`;

/**
 * The lines a person at a terminal reads once `meshray start` is up: where to send spans, where to look at them,
 * where they are exported, how to send traffic and how to stop (its logs are pino JSON; `meshray stack` prints
 * the same kind of banner). `config`: the all-in-one's parsed configuration (hosts, TLS, tokens, DEAD_LETTER_FILE).
 */
export function startBanner(running: Pick<RunningAllInOne, 'receiver' | 'xrayLocal' | 'target'>, config: AllInOneConfig): string {
  const xrayPort = portOf(running.xrayLocal);
  const receiverUrl = receiverUrlOf(running, config);
  const consoleUrl = `http://${reachableHost(config.XRAY_LOCAL_HOST)}:${xrayPort ?? '?'}/`;
  const target = running.target;
  const where = target.kind === 'embedded' ? `the embedded xray-local (${consoleUrl})` : target.kind === 'endpoint' ? target.endpoint : `AWS X-Ray in ${target.region}`;
  // EXPORT_PROTOCOL=otlp: OTLP spans to /v1/traces, which a newcomer's trial could not tell from the banner.
  const exportLine = config.EXPORT_PROTOCOL === 'otlp' ? `${where}, as OTLP spans to /v1/traces (EXPORT_PROTOCOL=otlp)` : where;
  const tokens = config.RECEIVER_AUTH_TOKENS !== undefined || config.RECEIVER_AUTH_TOKENS_FILE !== undefined;
  return [
    'meshray start is up',
    `  receiver     ${receiverUrl}/api/v2/spans   (Zipkin v2 JSON or proto, v1 at /api/v1/spans; /health/ready, /metrics)`,
    ...(xrayPort === undefined ? [] : [`  console      ${consoleUrl}   (traces and service map; the X-Ray API for the AWS SDK and CLI)`]),
    `  export       ${exportLine}`,
    `send traffic:  npx meshray demo${receiverUrl === 'http://127.0.0.1:9411' ? '' : ` --target ${receiverUrl}`}${tokens ? ' --token TOKEN (RECEIVER_AUTH_TOKENS is set)' : ''}`,
    `Ctrl-C stops it; spans not exported by then are written to ${config.DEAD_LETTER_FILE} (meshray send FILE sends them again).`,
    '',
  ].join('\n');
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, START_ARGS);
  if (exit !== undefined) return exit;
  const { main } = await import('../../all-in-one/index.ts');
  const running = await main(io.env);
  // For a person at a terminal only: where the process runs under a supervisor, its logs say the same in JSON.
  if ((io.stderr as { isTTY?: boolean }).isTTY === true) io.stderr.write(startBanner(running, running.config));
  // `meshray send` and `meshray demo` without --target post here (running-receivers.ts); best effort.
  const announced = announceReceiver(runtimeDirOf(io.env), thisProcess('start', receiverUrlOf(running, running.config)));
  const remove = 'remove' in announced ? announced.remove : (): void => undefined;
  process.once('exit', remove);
  try {
    return await runUntilSignal(running);
  } finally {
    remove();
    process.off('exit', remove);
  }
}
