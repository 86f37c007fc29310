import type { CommandIo } from '../commands.ts';
import { serviceArgsExit } from '../command-args.ts';
import { runUntilSignal } from '../run-until-signal.ts';

const USAGE = `usage: meshray receiver

The Zipkin endpoint (POST /api/v2/spans, /api/v1/spans; /health/live, /health/ready, /metrics on the same
port). Publishes the spans to Kafka, keyed by trace id. Kafka being unreachable is retried with backoff
(readiness false meanwhile). Configured by environment variables only:

`;

/** `meshray receiver`: the Zipkin endpoint publishing to Kafka (config from env, listed by --help). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, { name: 'receiver', usage: USAGE, loadSchema: async () => (await import('../../receiver/index.ts')).receiverEnvSchema });
  if (exit !== undefined) return exit;
  const { startReceiver } = await import('../../receiver/index.ts');
  const running = await startReceiver(io.env);
  return runUntilSignal({ close: () => running.stop(), abandon: () => running.abandon() });
}
