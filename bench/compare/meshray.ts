/** Starts a meshray service (`meshray <command>` through tsx) pinned to one core, for the compare sections. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, tailOutput, waitHttpOk } from '../support/processes.ts';
import type { CompareTarget } from './measure.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface MeshrayProcess extends CompareTarget {
  readonly port: number;
  readonly output: () => string;
}

/**
 * `meshray <command>` on `core` (taskset), LOG_LEVEL=warn, with `serviceEnv` (which must make it listen on
 * `port`, given to `envOf`); resolves once `<url>/health/ready` answers. BENCH_CPU_PROF=<dir> adds --cpu-prof.
 */
export async function startMeshray(label: string, command: string, core: number,
  envOf: (port: number) => Record<string, string>): Promise<MeshrayProcess> {
  const port = await freePort();
  const profDir = process.env['BENCH_CPU_PROF'];
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}/${label}`] : [];
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...prof, '--import', 'tsx', `${ROOT}services/cli/main.ts`, command], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...envOf(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = tailOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttpOk(`${url}/health/ready`, child, 90_000, output);
  return { label, url, port, child, output, pids: { [label]: child.pid } };
}

/** The sum of a Prometheus metric over its label sets, read from `<url>/metrics`. */
export async function metricOf(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
