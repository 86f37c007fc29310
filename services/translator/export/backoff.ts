/** Full-jitter exponential backoff: a uniform delay in [0, min(maxMs, baseMs·2^(retry-1))). */
export function fullJitterDelayMs(retry: number, options: { baseMs: number; maxMs: number; random: () => number }): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(options.random() * ceiling);
}

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
