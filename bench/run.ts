/** `npm run bench`: prints meshray's speed figures. BENCH=translate|otlp|codec|e2e selects one. */
import { runTranslateBench, type BenchFigure } from './translate.bench.ts';

const only = process.env['BENCH'];
const print = (f: BenchFigure): void => {
  process.stdout.write(`${f.name}: ${f.value.toLocaleString('en-US')} ${f.unit}${f.target ? ` (target ${f.target})` : ''}\n`);
};

if (!only || only === 'translate') runTranslateBench().forEach(print);
if (!only || only === 'otlp') {
  const { runOtlpBench } = await import('./otlp.bench.ts');
  runOtlpBench().forEach(print);
}
if (!only || only === 'codec') {
  const { runCodecBench } = await import('./codec.bench.ts');
  (await runCodecBench()).forEach(print);
}
if (!only || only === 'e2e') {
  const { runEndToEndBench } = await import('./e2e.bench.ts');
  (await runEndToEndBench()).forEach(print);
}
if (!only || only === 'packing') {
  const { runPackingBench } = await import('./packing.bench.ts');
  runPackingBench().forEach(print);
}
if (!only || only === 'assembly') {
  const { runAssemblyBench } = await import('./assembly.bench.ts');
  runAssemblyBench().forEach(print);
}
