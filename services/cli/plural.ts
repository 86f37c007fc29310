/**
 * Counts in the CLI's messages: `1 segment`, `2 segments`, `1,200 records` (English plural in -s: the units the
 * commands count are regular; thousands grouped, en-US).
 */
export function plural(n: number, unit: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? unit : `${unit}s`}`;
}
