import type { CommandIo } from './commands.ts';

/** A command's stderr voice: `say` prefixes `meshray <command>:`, `fail` says it and gives exit code 1. */
export function reporterFor(command: string, io: Pick<CommandIo, 'stderr'>): { say(message: string): void; fail(message: string): number } {
  const say = (message: string): void => {
    io.stderr.write(`meshray ${command}: ${message}\n`);
  };
  return { say, fail: (message) => (say(message), 1) };
}
