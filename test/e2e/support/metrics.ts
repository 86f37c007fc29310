/** Reads Prometheus text exposition from a service's /metrics. */

/** Sum of every sample of `name` (all label sets) at `url`; 0 when the metric has no sample yet. */
export async function scrapeMetric(url: string, name: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return sumMetric(await res.text(), name);
}

/** Sums the samples of `name` in a Prometheus text body. */
export function sumMetric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (!(line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
