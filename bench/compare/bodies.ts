/**
 * The compare bench's request bodies: 5-span Zipkin v2 JSON POSTs as Istio's Envoys send them (one sidecar
 * worker's buffer, Bookinfo tags, timestamps of now), from the seeded Bookinfo simulator; and the wrk Lua
 * script that rotates through them.
 */
import { writeFileSync } from 'node:fs';
import { createPrng, encodeSpansJsonV2, generateRequest, SidecarBatcher } from '../../services/simulator/index.ts';

/** `count` bodies of exactly `spansPerBody` spans each (Envoy's min_flush_spans), timestamps around `nowMs`. */
export function envoyBodies(count: number, nowMs: number, spansPerBody = 5, seed = 9): string[] {
  const prng = createPrng(seed);
  const batcher = new SidecarBatcher({ maxSpans: spansPerBody, flushIntervalMs: Infinity });
  const bodies: string[] = [];
  for (let i = 0; bodies.length < count; i++) {
    const request = generateRequest(prng, (nowMs + i) * 1000, i);
    for (const emitted of request.spans) {
      const batch = batcher.add(emitted.workload, i % 2, emitted.span, nowMs);
      if (batch !== undefined && bodies.length < count) bodies.push(encodeSpansJsonV2(batch.spans));
    }
  }
  return bodies;
}

/**
 * Writes a wrk script that POSTs `bodies` in rotation (each thread from its own offset) to /api/v2/spans,
 * waits a random delay averaging `delayMs` before each request when given (a fixed rate: connections × 1000 /
 * (delay + latency), arrivals spread rather than in bursts),
 * and prints one JSON line in `done`: requests, non-2xx answers, socket errors and latency percentiles (µs).
 */
export function writeWrkScript(path: string, bodies: readonly string[], delayMs?: number): void {
  const lines = [
    'local bodies = {',
    ...bodies.map((b) => `[==[${b}]==],`),
    '}',
    'local i = 0',
    'wrk.method = "POST"',
    'wrk.path = "/api/v2/spans"',
    'wrk.headers["Content-Type"] = "application/json"',
    'local n = 0',
    'function setup(thread) n = n + 1; thread:set("offset", n * 97) end',
    'function init(args) i = (offset or 0) % #bodies end',
    'function request() i = i % #bodies + 1; return wrk.format(nil, nil, nil, bodies[i]) end',
    // Uniform in [0, 2·delay]: the connections drift apart instead of posting in lockstep bursts.
    ...(delayMs === undefined ? [] : [`function delay() return math.random(0, ${Math.max(0, Math.round(2 * delayMs))}) end`]),
    'function done(s, latency, requests)',
    '  local e = s.errors',
    '  io.write(string.format(\'{"requests":%d,"non2xx":%d,"socketErrors":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n\',',
    '    s.requests, e.status, e.connect + e.read + e.write + e.timeout, s.duration,',
    '    latency:percentile(50), latency:percentile(99), latency.max))',
    'end',
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}
