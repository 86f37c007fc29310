import type { CommandIo } from '../commands.ts';
import { runUntilSignal } from '../run-until-signal.ts';

/** `meshray xray-local`: the X-Ray-compatible API and console (config from env: XRAY_LOCAL_PORT, …). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write('usage: meshray xray-local\n\nConfigured by environment variables; see the README (xray-local).\n');
    return 0;
  }
  const { main } = await import('../../xray-local/main.ts');
  return runUntilSignal(await main(io.env));
}
