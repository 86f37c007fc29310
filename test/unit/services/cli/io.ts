import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../../../services/cli/commands.ts';

/**
 * The runtime directory a command run in a test reads (services/cli/running-receivers.ts): the test run's own, or
 * one that does not exist. Never a developer's: a `meshray stack` or `start` running beside the tests changed what
 * `send` did (found when a newcomer trial ran beside the unit suite).
 */
export const testRuntimeDir = (): string => process.env['MESHRAY_RUNTIME_DIR'] ?? join(tmpdir(), `meshray-test-runtime-${process.pid}-none`);

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
  const code = await run(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env: { MESHRAY_RUNTIME_DIR: testRuntimeDir(), ...env } });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
