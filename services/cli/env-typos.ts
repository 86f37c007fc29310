/**
 * Misspelled meshray variables: a service reads only the variables of its schema, so `EXPORT_PROTCOL=otlp`
 * was ignored without a word and the translator ran with the default. Pure: the environment and the names
 * are inputs. The edit distance is fastest-levenshtein's (README "Dependencies").
 */
import { distance } from 'fastest-levenshtein';

/** A variable set in the environment that no meshray service reads, and the service's variable it is closest to. */
export interface EnvTypo {
  readonly given: string;
  readonly meant: string;
}

/**
 * Each variable of `env` that no meshray service knows (`allKnown`) but that is within a typo of one of the
 * service's own (`own`): Levenshtein edits (insert, delete, replace; two swapped neighbours count 2) at most
 * 1 for names under 10 characters, 2 from 10 on (at 2 edits short names meet other software's: API_HOST and
 * OPS_HOST, KAFKA_URL and KAFKA_SSL). Only names shaped like meshray's (upper case, digits, `_`,
 * 4 characters or more). Sorted by `given`.
 */
export function envTypos(env: Readonly<Record<string, string | undefined>>, own: Iterable<string>, allKnown: ReadonlySet<string>): EnvTypo[] {
  const ownNames = [...own];
  const out: EnvTypo[] = [];
  for (const given of Object.keys(env).sort()) {
    if (env[given] === undefined || allKnown.has(given) || !/^[A-Z][A-Z0-9_]{3,}$/.test(given)) continue;
    let best: { name: string; distance: number } | undefined;
    for (const name of ownNames) {
      const limit = name.length >= 10 ? 2 : 1;
      if (Math.abs(name.length - given.length) > limit) continue;
      const d = distance(given, name);
      if (d <= limit && (best === undefined || d < best.distance)) best = { name, distance: d };
    }
    if (best !== undefined) out.push({ given, meant: best.name });
  }
  return out;
}
