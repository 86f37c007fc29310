import type { CommandIo } from '../commands.ts';
import { runUntilSignal } from '../run-until-signal.ts';

/** `meshray translator`: one member of the translator consumer group (config from env, see the README). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write('usage: meshray translator\n\nConfigured by environment variables (KAFKA_BROKERS, XRAY_ENDPOINT, REDIS_URL, …); see the README.\n');
    return 0;
  }
  const { main } = await import('../../translator/main.ts');
  return runUntilSignal(await main(io.env));
}
