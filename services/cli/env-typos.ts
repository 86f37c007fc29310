/**
 * Misspelled meshray variables: a service reads only the variables of its schema, so `EXPORT_PROTCOL=otlp`
 * was ignored without a word and the translator ran with the default. Pure: the environment and the names
 * are inputs.
 */

/** A variable set in the environment that no meshray service reads, and the service's variable it is closest to. */
export interface EnvTypo {
  readonly given: string;
  readonly meant: string;
}

/**
 * Each variable of `env` that no meshray service knows (`allKnown`) but that is within a typo of one of the
 * service's own (`own`): edits (insert, delete, replace, swap two neighbours) at most 1 for names under 10
 * characters, 2 from 10 on. Only names shaped like meshray's (upper case, digits, `_`). Sorted by `given`.
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
      const distance = editDistance(given, name, limit);
      if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
    }
    if (best !== undefined) out.push({ given, meant: best.name });
  }
  return out;
}

/**
 * Optimal string alignment distance (Levenshtein plus swaps of neighbours), stopping early once every cell
 * of a row is above `limit` (then any value above `limit` is returned).
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}
