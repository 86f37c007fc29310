import { intFlag } from '../../flags.ts';
import { closestFlag } from '../../command-args.ts';

export interface StackArgs {
  /** Translator processes (--translators, default 2). */
  readonly translators: number;
  /** false with --no-redis: EPOCH_STORE=memory. */
  readonly redisEnabled: boolean;
  /** Every problem with the arguments, to be listed at once; empty when they are usable. */
  readonly errors: readonly string[];
}

/** `meshray stack`'s options (`--help` is handled before); `env` gives SPANS_TOPIC_PARTITIONS, the most translators that get work. */
export function parseStackArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>>): StackArgs {
  const errors: string[] = [];
  let translators = 2;
  let redisEnabled = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--translators') {
      const v = inline ?? args[++i];
      translators = intFlag('translators', v ?? '', 1, errors) ?? translators;
    } else if (flag === '--no-redis') {
      redisEnabled = false;
    } else {
      const meant = closestFlag(flag, ['--translators', '--no-redis', '--help']);
      errors.push(`unknown option "${a}"${meant === undefined ? '' : `; did you mean ${meant}?`}`);
    }
  }
  const partitions = Number(env['SPANS_TOPIC_PARTITIONS'] || '6'); // empty: unset, as everywhere
  if (Number.isInteger(partitions) && translators > partitions) {
    errors.push(`--translators: at most ${partitions} (SPANS_TOPIC_PARTITIONS): a member beyond the partition count gets no work`);
  }
  return { translators, redisEnabled, errors };
}
