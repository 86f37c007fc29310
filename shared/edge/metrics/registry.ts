import { Registry, collectDefaultMetrics } from 'prom-client';

/** A Prometheus registry per process (or per test), with Node's default metrics when asked. */
export function createRegistry(options: { defaultMetrics?: boolean; prefix?: string } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: options.prefix ?? 'meshray_' });
  return registry;
}

export type { Registry };
