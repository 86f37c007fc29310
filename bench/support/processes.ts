/**
 * Process helpers shared by the benchmarks that run services as child processes (`e2e`, `compare`): free
 * ports, CPU seconds from /proc/<pid>/stat, readiness polling, stopping, and the load average.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (Linux; 0 elsewhere). */
export function cpuSecondsOf(pid: number | undefined): number {
  const { user, system } = cpuSplitOf(pid);
  return user + system;
}

/** User and system CPU seconds of a process (all its threads), from /proc/<pid>/stat; zeros elsewhere. */
export function cpuSplitOf(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: 0, system: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return { user: 0, system: 0 };
  }
}

/**
 * CPU seconds of each thread of a process (tid → user and system), from /proc/<pid>/task/<tid>/stat; empty
 * elsewhere. The main thread's tid is the pid; Node's other threads (V8's platform workers: concurrent
 * marking, parallel scavenges, sweeping; libuv's pool; the tsx loader's worker) are all named "node".
 */
export function threadCpuOf(pid: number | undefined): Map<number, { user: number; system: number }> {
  const out = new Map<number, { user: number; system: number }>();
  if (pid === undefined) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(tid), { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 });
      } catch { /* the thread ended */ }
    }
  } catch { /* not Linux, or the process ended */ }
  return out;
}

/**
 * Resident set size of a process in MiB, from /proc/<pid>/status: now (VmRSS), or with `peak` the largest it
 * has been since the process started (VmHWM, the kernel's high-water mark); NaN elsewhere.
 */
export function rssMibOf(pid: number | undefined, peak = false): number {
  if (pid === undefined) return NaN;
  try {
    const m = (peak ? /VmHWM:\s+(\d+) kB/ : /VmRSS:\s+(\d+) kB/).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The 1, 5 and 15 minute load averages ("0.78 1.41 1.00"). */
export function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** Polls `url` until it answers 2xx; throws when `child` exits first or after `timeoutMs` (with `describe()`). */
export async function waitHttpOk(url: string, child: ChildProcess, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited during start:\n${describe()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${describe()}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  child.kill('SIGKILL');
  await exited;
}

/** Keeps the last `max` characters a child wrote to stdout/stderr (for error messages). */
export function tailOutput(child: ChildProcess, max = 4000): () => string {
  let out = '';
  const keep = (chunk: Buffer): void => { out = (out + chunk.toString('utf8')).slice(-max); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}
