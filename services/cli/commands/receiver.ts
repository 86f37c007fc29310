import type { CommandIo } from '../commands.ts';
import { runUntilSignal } from '../run-until-signal.ts';

/** `meshray receiver`: the Zipkin endpoint publishing to Kafka (config from env, see the README). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write('usage: meshray receiver\n\nConfigured by environment variables (KAFKA_BROKERS, RECEIVER_PORT, ACK_MODE, …); see the README.\n');
    return 0;
  }
  const { startReceiver } = await import('../../receiver/main.ts');
  const running = await startReceiver(io.env);
  return runUntilSignal({ close: () => running.stop() });
}
