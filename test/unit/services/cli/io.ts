import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../../../services/cli/commands.ts';

/** Runs a CLI command in-process with captured stdout/stderr. */
export async function runCommand(
  run: (args: readonly string[], io: CommandIo) => Promise<number>,
  args: readonly string[],
  stdin: string | Buffer = '',
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  // Never a developer's running stack (services/cli/running-receivers.ts): the test run's own directory, or none.
  const runtimeDir = process.env['MESHRAY_RUNTIME_DIR'] ?? join(tmpdir(), `meshray-test-runtime-${process.pid}-none`);
  const code = await run(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env: { MESHRAY_RUNTIME_DIR: runtimeDir, ...env } });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
