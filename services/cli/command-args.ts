/**
 * What every `meshray` command does with its arguments before its own work: flags through node:util's
 * `parseArgs` (strict) with `--help`, and, for the service commands, `--help` listing the environment.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { distance } from 'fastest-levenshtein';
import type { CommandIo } from './commands.ts';
import { renderEnvHelp, SERVICE_SCHEMAS } from './docs/config-tables.ts';
import { envTypos } from './env-typos.ts';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends FlagOptions> = O & { help: { type: 'boolean' } };

/** The flags and positional arguments of a command line, typed from the options given. */
export interface ParsedCommand<O extends FlagOptions> {
  readonly values: ReturnType<typeof parseArgs<{ options: WithHelp<O>; allowPositionals: true }>>['values'];
  readonly positionals: string[];
}

/**
 * Parses `args` with `options` plus `--help`. Answers the parsed flags, or the command's exit code when it
 * is done: 0 after writing `help` to stdout for `--help`, 1 after naming an unknown or malformed flag (or
 * a positional argument where `maxPositionals` is 0, or more than one where it is 1) followed by `help`.
 */
export function parseCommandArgs<const O extends FlagOptions>(
  args: readonly string[],
  options: O,
  command: { readonly help: string; readonly io: CommandIo; fail(message: string): number; readonly maxPositionals?: 0 | 1; readonly name?: string },
): ParsedCommand<O> | number {
  const maxPositionals = command.maxPositionals ?? 0;
  let parsed: ParsedCommand<O>;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: maxPositionals > 0, options: { ...options, help: { type: 'boolean' } } as WithHelp<O> }) as ParsedCommand<O>;
  } catch (e) {
    return command.fail(`${messageOf(e)}${suggestion(e, options)}\n\n${command.help}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    command.io.stdout.write(command.help);
    return 0;
  }
  if (parsed.positionals.length > maxPositionals) return command.fail('expects at most one FILE');
  if (command.name !== undefined) warnEnvTypos(command.io, command.name, KNOWN_VARIABLES, 'a variable meshray reads');
  return parsed;
}

/**
 * node:util's message, without the advice it appends to an unknown option where positionals are allowed
 * ("To specify a positional argument starting with a '-', …", found by the newcomer trial: it buried the
 * suggestion and left a quote open).
 */
function messageOf(error: unknown): string {
  const message = (error as Error).message;
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const at = message.indexOf('. To specify a positional argument');
  return at < 0 ? message : message.slice(0, at);
}

/**
 * Environment variables the CLI's commands read besides the services' (`meshray send`'s bearer token; where
 * `stack` and `start` announce their receiver to `send` and `demo`, running-receivers.ts).
 */
const CLI_VARIABLES = ['MESHRAY_TOKEN', 'MESHRAY_RUNTIME_DIR'] as const;

/** Every variable a meshray service or command reads: what `stack` and the CLI commands check typos against. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([...Object.values(SERVICE_SCHEMAS).flatMap((s) => Object.keys(s.shape)), ...CLI_VARIABLES]);

/**
 * Names on stderr each variable of the environment that nothing in meshray reads but that is a typo away
 * from one of `own` (`EXPORT_PROTCOL`: did you mean EXPORT_PROTOCOL?): the command would otherwise run with
 * the default, without a word.
 */
export function warnEnvTypos(io: CommandIo, name: string, own: Iterable<string>, whose = `a variable of meshray ${name}`): void {
  for (const { given, meant } of envTypos(io.env, own, KNOWN_VARIABLES)) {
    io.stderr.write(`meshray ${name}: warning: ${given} is not ${whose} and is ignored; did you mean ${meant}?\n`);
  }
}


/**
 * The variables (with a value) a typo away from one of `stakes`' names while that one is not set: by the given name,
 * the problem to refuse it with (`XRAY_ENDPOINTT is not a variable meshray reads; did you mean XRAY_ENDPOINT? <what
 * happens without it>: rename it, or unset it`). For the variables whose default sends spans somewhere the user did
 * not mean (a throwaway broker, an in-memory X-Ray): a warning scrolls away, and the spans are gone.
 */
export function misdirectingTypos(env: CommandIo['env'], stakes: Readonly<Record<string, string>>): Map<string, string> {
  const unset = Object.keys(stakes).filter((name) => env[name] === undefined || env[name] === '');
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  return new Map(envTypos(given, unset, KNOWN_VARIABLES).map(({ given: name, meant }) => [name, `${name} is not a variable meshray reads; did you mean ${meant}? ${stakes[meant] ?? ''}: rename it, or unset it`]));
}

/**
 * For node:util's unknown-option error (`ERR_PARSE_ARGS_UNKNOWN_OPTION`, message `Unknown option '--form'…`):
 * `; did you mean --from?` when one of the command's long flags is at most two edits away, else ''.
 */
function suggestion(error: unknown, options: FlagOptions): string {
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return '';
  const given = /Unknown option '(-{1,2}[^'=]+)/.exec((error as Error).message)?.[1];
  if (given === undefined || !given.startsWith('--')) return '';
  const meant = closestFlag(given, [...Object.keys(options), 'help'].map((name) => `--${name}`));
  return meant === undefined ? '' : `; did you mean ${meant}?`;
}

/** The flag of `flags` at most two edits from `given`, the closest; undefined when none is. */
export function closestFlag(given: string, flags: readonly string[]): string | undefined {
  const closest = flags.map((flag) => ({ flag, d: distance(flag, given) })).sort((a, b) => a.d - b.d)[0];
  return closest !== undefined && closest.d <= 2 ? closest.flag : undefined;
}

/**
 * The arguments of a service command (`receiver`, `translator`, `xray-local`, `start`), which is configured by
 * environment variables only. `--help` (or `-h`) writes `usage` and every environment variable of the
 * service's config schema, with its default and meaning: answers 0. Any other argument is named on stderr
 * (`meshray receiver: unexpected argument '--port' …`): answers 1. Answers undefined when there are none (the
 * command starts), after naming on stderr each variable of the environment that no meshray service reads but
 * that is a typo away from one of this service's (`EXPORT_PROTCOL`: did you mean EXPORT_PROTOCOL?): the
 * service would otherwise run with the default, without a word.
 */
export async function serviceArgsExit(
  args: readonly string[],
  io: CommandIo,
  command: {
    readonly name: string;
    readonly usage: string;
    loadSchema(): Promise<{ shape: Record<string, unknown> }>;
    /** Variables whose typos are named too, besides the schema's own (the all-in-one: every service's). */
    readonly typosOf?: Iterable<string>;
    /** Typos refused rather than warned of (misdirectingTypos): by the given name, the problem. */
    refusedTypos?(env: CommandIo['env']): ReadonlyMap<string, string>;
  },
): Promise<number | undefined> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(command.usage + renderEnvHelp(await command.loadSchema()));
    return 0;
  }
  const unexpected = args[0];
  if (unexpected === undefined) {
    const refused = command.refusedTypos?.(io.env) ?? new Map<string, string>();
    const rest = { ...io, env: Object.fromEntries(Object.entries(io.env).filter(([name]) => !refused.has(name))) };
    warnEnvTypos(rest, command.name, [...Object.keys((await command.loadSchema()).shape), ...(command.typosOf ?? [])]);
    for (const problem of refused.values()) io.stderr.write(`meshray ${command.name}: ${problem}\n`);
    return refused.size > 0 ? 1 : undefined;
  }
  io.stderr.write(`meshray ${command.name}: unexpected argument '${unexpected}': it is configured by environment variables only (\`meshray ${command.name} --help\` lists them)\n`);
  return 1;
}
