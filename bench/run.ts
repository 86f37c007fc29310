/** `npm run bench`: prints meshray's speed figures. BENCH=translate|otlp|codec|e2e|sdk selects one; BENCH=drain (translator drain) and BENCH=all-in-one run only when named. */
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
if (only === 'drain') {
  const { runTranslatorDrainBench } = await import('./compare/translator.ts');
  (await runTranslatorDrainBench()).forEach(print);
}
if (!only || only === 'sdk') {
  const { runXRaySdkBench } = await import('./xray-sdk.bench.ts');
  (await runXRaySdkBench()).forEach(print);
}
if (only === 'all-in-one') {
  const { runAllInOneBench } = await import('./compare/all-in-one.ts');
  (await runAllInOneBench()).forEach(print);
}
