import type { CommandIo } from '../commands.ts';
import { serviceArgsExit } from '../command-args.ts';
import { runUntilSignal } from '../run-until-signal.ts';

const USAGE = `usage: meshray translator

One member of the translator consumer group: consumes SPANS_TOPIC, translates spans into X-Ray segment
documents, writes them with PutTraceSegments and commits once X-Ray accepted them. Health and metrics on
TRANSLATOR_OPS_PORT (give each translator on one host its own). Started with the TRANSLATOR_GROUP_ID of a
running deployment (default meshray-translator), it joins that group and takes partitions from its
members; with a new group id it reads SPANS_TOPIC from the beginning and exports again everything the topic
still holds. To try it beside a live stack, use another SPANS_TOPIC or an X-Ray of its own.
Configured by environment variables only:

`;

/** `meshray translator`: one member of the translator consumer group (config from env, listed by --help). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, { name: 'translator', usage: USAGE, loadSchema: async () => (await import('../../translator/index.ts')).translatorEnvSchema });
  if (exit !== undefined) return exit;
  const { main } = await import('../../translator/index.ts');
  // Until main() resolves (e.g. while Kafka does not answer yet) nothing was consumed: a signal just ends the process.
  const beforeStart = (signal: NodeJS.Signals): void => {
    io.stderr.write(`meshray translator: ${signal} before the translator started: exiting\n`);
    process.exit(0);
  };
  process.once('SIGINT', beforeStart);
  process.once('SIGTERM', beforeStart);
  let running: Awaited<ReturnType<typeof main>>;
  try {
    running = await main(io.env);
  } finally {
    process.off('SIGINT', beforeStart);
    process.off('SIGTERM', beforeStart);
  }
  return runUntilSignal(running);
}
