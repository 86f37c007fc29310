import type { CommandIo } from '../commands.ts';
import type { RunningAllInOne } from '../../all-in-one/index.ts';
import { KNOWN_VARIABLES, serviceArgsExit } from '../command-args.ts';
import { runUntilSignal } from '../run-until-signal.ts';

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
 */
export const START_ARGS = {
  name: 'start', usage: HELP, loadSchema: async () => (await import('../../all-in-one/index.ts')).allInOneEnvSchema, typosOf: KNOWN_VARIABLES,
} as const;

/** The TCP port a started app listens on, or undefined. */
const portOf = (app: { server: { address(): unknown } } | undefined): number | undefined => {
  const address = app?.server.address();
  return typeof address === 'object' && address !== null && 'port' in address ? (address as { port: number }).port : undefined;
};

/**
 * The lines a person at a terminal reads once `meshray start` is up: where to send spans, where to look at them,
 * where they are exported, how to send traffic and how to stop (its logs are pino JSON; `meshray stack` prints
 * the same kind of banner). `deadLetterFile` is DEAD_LETTER_FILE.
 */
export function startBanner(running: Pick<RunningAllInOne, 'receiver' | 'xrayLocal' | 'target'>, deadLetterFile: string): string {
  const receiverPort = portOf(running.receiver);
  const xrayPort = portOf(running.xrayLocal);
  const target = running.target;
  const exportLine = target.kind === 'embedded' ? `the embedded xray-local (http://127.0.0.1:${xrayPort ?? '?'}/)` : target.kind === 'endpoint' ? target.endpoint : `AWS X-Ray in ${target.region}`;
  return [
    'meshray start is up',
    `  receiver     http://127.0.0.1:${receiverPort ?? '?'}/api/v2/spans   (Zipkin v2 JSON or proto, v1 at /api/v1/spans; /health/ready, /metrics)`,
    ...(xrayPort === undefined ? [] : [`  console      http://127.0.0.1:${xrayPort}/   (traces and service map; the X-Ray API for the AWS SDK and CLI)`]),
    `  export       ${exportLine}`,
    `send traffic:  npx meshray demo${receiverPort === 9411 ? '' : ` --target http://127.0.0.1:${receiverPort ?? '?'}`}`,
    `Ctrl-C stops it; spans not exported by then are written to ${deadLetterFile} (meshray send FILE sends them again).`,
    '',
  ].join('\n');
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, START_ARGS);
  if (exit !== undefined) return exit;
  const { main } = await import('../../all-in-one/index.ts');
  const running = await main(io.env);
  // For a person at a terminal only: where the process runs under a supervisor, its logs say the same in JSON.
  if ((io.stderr as { isTTY?: boolean }).isTTY === true) io.stderr.write(startBanner(running, io.env['DEAD_LETTER_FILE'] || 'meshray-dead-letters.ndjson'));
  return runUntilSignal(running);
}
