/** `K=V,K=V` (BENCH_SERVICE_ENV, BENCH_TRANSLATOR_ENV) → extra environment for the services a bench starts. */
export function serviceEnvOf(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (spec ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
