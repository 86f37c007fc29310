/**
 * Decode + Zipkin → OTLP translate + protobuf encode + gzip throughput on one core, for the Istio 1.7.4
 * Bookinfo fixture, sent as 100 traces per request (the OTLP path's unit of export). No target yet: the
 * figure is to compare with the segments path (`BENCH=translate`).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { decodeSpans } from '../shared/core/zipkin/index.ts';
import type { Span } from '../shared/core/zipkin/span.ts';
import { translateToOtlp } from '../shared/core/otlp/index.ts';
import type { BenchFigure } from './translate.bench.ts';

export function runOtlpBench(durationMs = 5000): BenchFigure[] {
  const body = readFileSync(new URL('../test/fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));
  const nowMs = Date.parse('2019-06-21T18:30:00Z');
  const decodeMany = (): Span[] => {
    const spans: Span[] = [];
    for (let t = 0; t < 100; t++) {
      const decoded = decodeSpans(body, 'json-v2');
      if (!decoded.ok) throw new Error('fixture does not decode');
      const suffix = t.toString(16).padStart(4, '0');
      for (const s of decoded.value) spans.push({ ...s, traceId: `${s.traceId.slice(0, 28)}${suffix}` });
    }
    return spans;
  };
  let bytes = 0;
  let gzBytes = 0;
  const once = (): number => {
    const spans = decodeMany();
    const out = translateToOtlp(spans, { nowMs });
    for (const b of out.batches) {
      bytes += b.body.length;
      gzBytes += gzipSync(b.body).length;
    }
    return spans.length;
  };
  for (let i = 0; i < 20; i++) once(); // warm up the JIT
  bytes = 0;
  gzBytes = 0;
  let spans = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    spans += once();
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return [
    { name: 'decode+OTLP translate+protobuf+gzip (Bookinfo, 100 traces/request, one core)', value: Math.round(spans / seconds), unit: 'spans/s' },
    { name: 'OTLP protobuf bytes per span (uncompressed / gzip)', value: Math.round(bytes / spans), unit: `B / ${Math.round(gzBytes / spans)} B gzip` },
  ];
}
