/** `npm run bench`: prints meshray's speed figures. BENCH=translate|otlp|codec|e2e|sdk selects one; BENCH=compare|ab|drain|all-in-one|xray-local|buffer-memory run only when named, as do the soaks: BENCH=failover (failover/outage) and BENCH=overload (60 s at 3× the receiver's capacity). */
import { runTranslateBench, type BenchFigure } from './translate.bench.ts';
import { settleKafkaJsTimerNotice } from '../shared/edge/kafka/client.ts';

settleKafkaJsTimerNotice(); // the bench's own kafkajs clients, as the CLI does for the services (Node ≥ 23)

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
// Soak scripts (minutes, a 3-broker cluster): only when asked for by name.
if (only === 'failover') {
  const { runFailoverBench } = await import('./failover.bench.ts');
  (await runFailoverBench()).forEach(print);
}
if (only === 'overload') {
  const { runOverload } = await import('../test/e2e/support/overload.ts');
  const f = await runOverload(Number(process.env['BENCH_OVERLOAD_SECONDS'] ?? 60));
  process.stdout.write(`overload at 3× capacity: ${JSON.stringify(f)}\n`);
}
if (only === 'buffer-memory') {
  const { runBufferMemoryBench } = await import('./buffer-memory.bench.ts');
  (await runBufferMemoryBench()).forEach(print);
}
if (only === 'ab') {
  const { runAbBench } = await import('./ab.bench.ts');
  runAbBench().forEach(print);
}
if (only === 'compare') {
  const { runCompareBench } = await import('./compare/index.ts');
  (await runCompareBench()).forEach(print);
}
if (only === 'drain') {
  const { runTranslatorDrainBench } = await import('./compare/translator.ts');
  (await runTranslatorDrainBench()).forEach(print);
}
if (only === 'xray-local') {
  const { runXrayLocalBench } = await import('./compare/xray-local.ts');
  (await runXrayLocalBench()).forEach(print);
}
if (!only || only === 'sdk') {
  const { runXRaySdkBench } = await import('./xray-sdk.bench.ts');
  (await runXRaySdkBench()).forEach(print);
}
if (only === 'all-in-one') {
  const { runAllInOneBench } = await import('./compare/all-in-one.ts');
  (await runAllInOneBench()).forEach(print);
}
if (!only || only === 'packing') {
  const { runPackingBench } = await import('./packing.bench.ts');
  runPackingBench().forEach(print);
}
if (!only || only === 'assembly') {
  const { runAssemblyBench } = await import('./assembly.bench.ts');
  runAssemblyBench().forEach(print);
}
