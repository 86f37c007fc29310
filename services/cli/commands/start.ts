import type { CommandIo } from '../commands.ts';
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

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, START_ARGS);
  if (exit !== undefined) return exit;
  const { main } = await import('../../all-in-one/index.ts');
  const running = await main(io.env);
  return runUntilSignal(running);
}
