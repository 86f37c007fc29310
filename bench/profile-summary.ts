/**
 * Summarises V8 .cpuprofile files (`node --cpu-prof`, e.g. from `BENCH_CPU_PROF=<dir> npm run bench`):
 * self time by function and by package, the biggest first.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile>... [--top 25] [--skip SECONDS]
 *
 * `--skip` leaves out the profile's first SECONDS of wall time (start-up, module compiling and the warm-up), so
 * that a steady load's profile is not diluted by the process' start.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** `node_modules/<pkg>` (or `@scope/pkg`), `meshray/<dir>` for our sources, `node:` internals, or the pseudo frame. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node:internal';
  const m = /\/(services\/[^/]+|shared\/[^/]+|bench)\//.exec(url);
  return m ? `meshray/${m[1]}` : basename(url);
}

/** Samples are ~1 ms apart (V8's default interval); a delta over this is a gap in sampling, not a function's time. */
const MAX_SAMPLE_GAP_US = 100_000;

function summarise(file: string, top: number, skipUs: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // A sample's delta is the wall time since the one before: after the sampler itself was starved (a busy
  // 2-core machine) one sample carries seconds the function never ran (5.5 s of `writev` in one drain's
  // translator, whose whole CPU was 7.7 s). Such gaps are left out and counted instead.
  let gapUs = 0;
  let gaps = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    elapsedUs += us;
    if (elapsedUs <= skipUs) return;
    if (us > MAX_SAMPLE_GAP_US) { gapUs += us; gaps += 1; return; }
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') { idle += us; continue; }
    total += us;
    const where = frame.url === '' ? '' : ` ${basename(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const table = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`).join('\n');
  const gapNote = gaps > 0 ? `, ${gaps} sampling gap(s) over ${MAX_SAMPLE_GAP_US / 1000} ms left out (${(gapUs / 1e6).toFixed(2)} s)` : '';
  const skipped = skipUs > 0 ? ` after the first ${skipUs / 1e6} s` : '';
  return `${basename(file)}${skipped}: busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s${gapNote}\n by package:\n${table(byPackage)}\n by function:\n${table(byFunction)}\n`;
}

const args = process.argv.slice(2);
const valueOf = (flag: string): number | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? Number(args[at + 1]) : undefined;
};
const top = valueOf('--top') ?? 25;
const skipUs = (valueOf('--skip') ?? 0) * 1e6;
const files = args.filter((arg, i) => !arg.startsWith('--') && !['--top', '--skip'].includes(args[i - 1] ?? ''));
for (const file of files) process.stdout.write(`${summarise(file, top, skipUs)}\n`);
