/** Runs wrk (https://github.com/wg/wrk, `apt-get install wrk`) pinned to a core, with a script from bodies.ts. */
import { spawn } from 'node:child_process';

export interface WrkResult {
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly durationUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

export interface WrkRun {
  readonly url: string;
  readonly script: string;
  readonly core: number;
  readonly connections: number;
  readonly seconds: number;
}

/** One wrk run (one thread); resolves with the JSON line the script's `done` prints. */
export function runWrk(run: WrkRun): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = ['-c', String(run.core), 'wrk', '-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--timeout', '10s', '-s', run.script, run.url];
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.once('error', (e) => reject(new Error(`cannot run wrk (apt-get install -y wrk): ${e.message}`)));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || line === undefined) reject(new Error(`wrk failed (exit ${code}):\n${out.slice(-2000)}`));
      else resolve(JSON.parse(line) as WrkResult);
    });
  });
}
