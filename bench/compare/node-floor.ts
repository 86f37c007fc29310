/**
 * The Node.js floor (bench/support/node-floor-server.mjs): node's http server doing only the parsing every
 * request of a meshray service must do, pinned to a core like the servers it is set beside. Its CPU per span (or
 * per document) is what no Node.js service of that kind can go below on this machine, on these bodies.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, tailOutput, waitHttpOk } from '../support/processes.ts';
import type { CompareTarget } from './measure.ts';

const SERVER = fileURLToPath(new URL('../support/node-floor-server.mjs', import.meta.url));

/** `zipkin`: read and JSON.parse a Zipkin POST, answer 202. `xray`: PutTraceSegments, each document parsed and kept. */
export async function startNodeFloor(mode: 'zipkin' | 'xray', core: number): Promise<CompareTarget & { readonly port: number }> {
  const port = await freePort();
  const child = spawn('taskset', ['-c', String(core), process.execPath, SERVER, mode, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tailOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttpOk(`${url}/health`, child, 30_000, output);
  return { label: `node floor (${mode})`, url, port, child, pids: { 'node floor': child.pid } };
}
