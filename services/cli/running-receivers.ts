/**
 * Where the receivers of the `meshray stack` and `meshray start` processes running on this machine listen, so
 * that `meshray send` and `meshray demo` without `--target` post to the one that runs rather than to :9411. A
 * stack whose usual port was busy moves its receiver to another port, and :9411 then belongs to another program
 * (an earlier `npm start`, a Zipkin server): the spans went there without a word (found by a newcomer trial).
 *
 * One small JSON file per running process, `<dir>/<pid>.json` holding a {@link RunningReceiver}; the process
 * removes it when it stops. A file whose process is gone (killed -9) is ignored and removed by the next reader.
 * `dir` is MESHRAY_RUNTIME_DIR, else `$XDG_RUNTIME_DIR/meshray`, else `<os tmpdir>/meshray-<uid>` (mode 0700).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The receiver of one running `meshray stack` or `meshray start`, as its file holds it. */
export interface RunningReceiver {
  readonly pid: number;
  readonly command: 'stack' | 'start';
  /** The receiver's base URL, e.g. `http://127.0.0.1:9411` (`/api/v2/spans` is appended by the senders). */
  readonly receiver: string;
}

/** Where a sender posts when `--target` is not given. */
export const DEFAULT_TARGET = 'http://127.0.0.1:9411';

/** The directory of the running receivers' files (see the module's comment). */
export function runtimeDirOf(env: Readonly<Record<string, string | undefined>>): string {
  const given = env['MESHRAY_RUNTIME_DIR'];
  if (given !== undefined && given !== '') return given;
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'meshray');
  return join(tmpdir(), `meshray-${process.getuid?.() ?? 'user'}`);
}

/**
 * Writes `entry`'s file (atomically: a reader never sees half of it) and returns what removes it. Best effort:
 * a directory that cannot be written costs only the discovery, never the stack, so a failure is returned as
 * the reason instead of thrown.
 */
export function announceReceiver(dir: string, entry: RunningReceiver): { remove: () => void } | { failed: string } {
  const file = join(dir, `${entry.pid}.json`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const partial = `${file}.partial`;
    writeFileSync(partial, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    renameSync(partial, file);
  } catch (e) {
    return { failed: (e as Error).message };
  }
  return { remove: () => rmSync(file, { force: true }) };
}

/** True while process `pid` exists (signal 0: nothing is sent). EPERM: it exists, as another user's. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseEntry(text: string): RunningReceiver | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunningReceiver>;
    if (!Number.isInteger(value.pid) || (value.command !== 'stack' && value.command !== 'start') || typeof value.receiver !== 'string') return undefined;
    return { pid: value.pid as number, command: value.command, receiver: value.receiver };
  } catch {
    return undefined;
  }
}

/** The receivers whose process still runs, by pid; the files of those gone are removed. */
export function runningReceivers(dir: string, isAlive: (pid: number) => boolean = pidIsAlive): RunningReceiver[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const out: RunningReceiver[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let entry: RunningReceiver | undefined;
    try {
      entry = parseEntry(readFileSync(file, 'utf8'));
    } catch {
      continue; // removed meanwhile
    }
    if (entry !== undefined && `${entry.pid}.json` === name && isAlive(entry.pid)) out.push(entry);
    else rmSync(file, { force: true });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * The receiver a sender posts to without `--target`: the one running `meshray stack` or `meshray start`
 * announced, else {@link DEFAULT_TARGET}. With more than one running, none is guessed: `errors` names them.
 * `note` says where a receiver other than the default one was found (for stderr).
 */
export function defaultTargetOf(running: readonly RunningReceiver[], errors: string[]): { url: string; note?: string } {
  if (running.length === 0) return { url: DEFAULT_TARGET };
  const [only] = running;
  if (running.length === 1 && only !== undefined) {
    return only.receiver === DEFAULT_TARGET ? { url: only.receiver } : { url: only.receiver, note: `posting to the receiver of meshray ${only.command} (pid ${only.pid}) at ${only.receiver}; --target chooses another` };
  }
  errors.push(`--target: ${running.length} meshray receivers run on this machine (${running.map((r) => `meshray ${r.command}, pid ${r.pid}: ${r.receiver}`).join('; ')}): choose one with --target`);
  return { url: DEFAULT_TARGET };
}
