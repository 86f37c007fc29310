import { createPrng, generateRequest, encodeSpansJsonV2, DEFAULT_GENERATE_OPTIONS } from './index.ts';
const prng = createPrng(42);
for (const flavour of ['1.7.4', 'modern', '1.7.4', 'modern'] as const) {
  const o = { ...DEFAULT_GENERATE_OPTIONS, flavour };
  let n = 0; const t0 = performance.now();
  for (let i = 0; i < 50000; i++) n += generateRequest(prng, 1_700_000_000_000_000, i, o).spans.length;
  console.log(flavour, 'gen spans/s', Math.round(n / ((performance.now() - t0) / 1000)));
}
