#!/usr/bin/env node
// The `meshray` CLI: dispatches to one command. Composition happens inside each command.
import { readFileSync } from 'node:fs';
import { distance } from 'fastest-levenshtein';
import { COMMANDS, isCommandName } from './commands.ts';
import { isMeshrayError } from '../../shared/edge/errors/index.ts';
import { settleKafkaJsTimerNotice } from '../../shared/edge/kafka/client.ts';

/** package.json's version: two directories up from this file in the sources, three in a build (dist/services/cli). */
function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'meshray' && pkg.version !== undefined) return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return 'unknown';
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: meshray <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'meshray <command> --help' (or 'meshray help <command>') for a command's options; 'meshray --version' for the version.\n`;
}

// meshray is tested on Node 24 LTS and Node 20 with a pinned AWS SDK (package-lock.json); on Node 20 the SDK's
// notice that later SDK releases will need Node 22 is known and says nothing about this process: keep it out of the logs.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
// kafkajs's idle request queue arms a negative timer, which Node ≥ 23 reports once (shared/edge/kafka/client.ts).
settleKafkaJsTimerNotice();

const argv = process.argv.slice(2);
// `meshray help <command>` is `meshray <command> --help` (it printed the general usage: a newcomer trial)
// (`meshray help sned` goes on as the unknown command `sned`, with its "did you mean")
const [name, ...args] = argv[0] === 'help' && argv[1] !== undefined ? [argv[1], '--help'] : argv;
if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(usage());
  process.exit(name === undefined ? 1 : 0);
}
if (name === '--version' || name === '-v' || name === 'version') {
  process.stdout.write(`meshray ${packageVersion()} (Node ${process.versions.node})\n`);
  process.exit(0);
}
if (!isCommandName(name)) {
  // the top-level options are candidates too: `--versio` means --version, `--hlep` --help
  const candidates = [...Object.keys(COMMANDS), ...(name.startsWith('-') ? ['--version', '--help'] : [])];
  const closest = candidates.map((c) => ({ c, d: distance(c, name) })).sort((a, b) => a.d - b.d)[0];
  const hint = closest !== undefined && closest.d <= 2 ? `; did you mean "${closest.c}"?` : '';
  process.stderr.write(`meshray: unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"${hint}\n\n${usage()}`);
  process.exit(1);
}
try {
  const command = await COMMANDS[name].load();
  process.exitCode = await command.run(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
} catch (error) {
  // Expected failures (bad configuration, a service that cannot start) get one clear message, no stack.
  if (!isMeshrayError(error)) throw error;
  process.stderr.write(`meshray ${name}: ${error.message}\n`);
  process.exitCode = 1;
}
// Services may leave client sockets or timers behind after a clean close: exit once output is flushed (however long
// a slow pipe takes to take what a command wrote). A stdout whose reader is gone (a parent killed, a closed terminal)
// never calls back: its write error ends the process instead.
const exitNow = (): never => process.exit();
process.stdout.once('error', exitNow);
process.stdout.write('', exitNow);
