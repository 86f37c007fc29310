/**
 * Decode + translate + serialize throughput on one core, for the Istio 1.7.4 Bookinfo fixture.
 * Target (issue: foundation): >= 100k spans/s.
 */
import { readFileSync } from 'node:fs';
import { decodeSpans } from '../shared/core/zipkin/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../shared/core/xray/index.ts';

export interface BenchFigure { readonly name: string; readonly value: number; readonly unit: string; readonly target?: string }

export function runTranslateBench(durationMs = 5000): BenchFigure[] {
  const body = readFileSync(new URL('../test/fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));
  const nowMs = Date.parse('2019-06-21T18:30:00Z');
  const config = DEFAULT_TRANSLATOR_CONFIG;
  const epochs = new MemoryEpochStore();
  const once = (): number => {
    const decoded = decodeSpans(body, 'json-v2');
    if (!decoded.ok) throw new Error('fixture does not decode');
    const out = translateSpans(decoded.value, { config, nowMs, epochs });
    let bytes = 0;
    for (const d of out.documents) bytes += Buffer.byteLength(d.json); // flattens and encodes, as the exporter does
    if (bytes === 0) throw new Error('no documents');
    return decoded.value.length;
  };
  for (let i = 0; i < 2000; i++) once(); // warm up the JIT
  let spans = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) spans += once();
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return [{ name: 'decode+translate+serialize (Bookinfo, v2 JSON, one core)', value: Math.round(spans / seconds), unit: 'spans/s', target: '>= 100000' }];
}
