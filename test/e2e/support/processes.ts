/**
 * meshray services as real OS processes started through the CLI (`node --import tsx services/cli/main.ts
 * <command>`), each in its own process group so SIGKILL is real and nothing outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (the CLI's relative paths and tsx resolve from it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUTPUT_KEEP_CHARS = 20_000;
/** How long after a child's exit its pipes may stay open before waitExit resolves anyway. */
const PIPES_CLOSE_MS = 2_000;

const running = new Set<ServiceProcess>();

export class ServiceProcess {
  readonly label: string;
  readonly child: ChildProcess;
  #output = '';
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exited = false;

  constructor(label: string, child: ChildProcess) {
    this.label = label;
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.#output += chunk.toString();
      if (this.#output.length > OUTPUT_KEEP_CHARS * 2) this.#output = this.#output.slice(-OUTPUT_KEEP_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // 'exit' can come before the last output is read from the pipes; 'close' comes after both. A grandchild that
    // inherited the pipes could hold them open, so 'close' is awaited for at most PIPES_CLOSE_MS after 'exit'.
    const closed = new Promise<void>((resolve) => { child.once('close', () => resolve()); });
    this.#exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited = true;
        running.delete(this);
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([closed, new Promise<void>((r) => { timer = setTimeout(r, PIPES_CLOSE_MS); })])
          .finally(() => { clearTimeout(timer); resolve({ code, signal }); });
      });
    });
    running.add(this);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} has no pid`);
    return this.child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The last ~20 KB of stdout+stderr, for failure messages. */
  output(): string {
    return this.#output.slice(-OUTPUT_KEEP_CHARS);
  }

  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      /* already gone */
    }
  }

  /** Resolves with the exit status, or undefined when it did not exit within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, timeoutMs, undefined); });
    try {
      return await Promise.race([this.#exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    this.signal('SIGTERM');
    if ((await this.waitExit(graceMs)) !== undefined) return;
    this.signal('SIGKILL');
    await this.waitExit(5_000);
  }

  /** SIGKILL (no shutdown code runs); resolves once the process is gone. */
  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.waitExit(5_000);
  }
}

/** The test's environment minus node:test's marker (a child `node` must not think it is a test worker). */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT') out[k] = v;
  return out;
}

/** node's arguments that run the CLI from its TypeScript sources. */
export const CLI_FROM_SOURCE: readonly string[] = ['--import', 'tsx', 'services/cli/main.ts'];

/** Starts `meshray <command>` with `env` over the test's own environment; `cli`: node's arguments that run the CLI. */
export function spawnCli(label: string, command: string, env: Record<string, string>, cli: readonly string[] = CLI_FROM_SOURCE): ServiceProcess {
  const child = spawn(process.execPath, [...cli, command], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: signal(-pid) reaches it and whatever it starts
  });
  return new ServiceProcess(label, child);
}

/** Starts any executable in its own process group (e.g. a private redis-server). */
export function spawnProcess(label: string, file: string, args: readonly string[]): ServiceProcess {
  const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new ServiceProcess(label, child);
}

/** SIGKILLs every process started here that is still running (for `finally`/`after`). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill9()));
}

/** The captured output of every process still known, for a failure message. */
export function describeProcesses(list: readonly ServiceProcess[]): string {
  return list.map((p) => `--- ${p.label} (pid ${p.child.pid ?? '?'}${p.exited ? ', exited' : ''}) ---\n${p.output().slice(-3000)}`).join('\n');
}

/** Whether process `pid` still runs (signal 0 probes it without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
