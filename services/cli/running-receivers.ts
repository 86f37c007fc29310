/**
 * Where the receivers of the `meshray stack` and `meshray start` processes running on this machine listen, so
 * that `meshray send` and `meshray demo` without `--target` post to the one that runs rather than to :9411. A
 * stack whose usual port was busy moves its receiver to another port, and :9411 then belongs to another program
 * (an earlier `npm start`, a Zipkin server): the spans went there without a word (found by a newcomer trial).
 *
 * One small JSON file per running process, `<dir>/<pid>.json` holding a {@link RunningReceiver}; the process
 * removes it when it stops. A file whose process is gone (killed -9), or whose pid another process has taken since
 * (Linux: the process's start time differs), is ignored and removed by the next reader.
 * `dir` is MESHRAY_RUNTIME_DIR, else `$XDG_RUNTIME_DIR/meshray`, else `<os tmpdir>/meshray-<uid>` (mode 0700).
 * In a shared temporary directory another user could make that directory first and plant entries (pointing
 * `send`, and its bearer token, at their own server): a directory or file that is not this user's own, or that
 * others may write, is not used (POSIX; on Windows there is no uid to check).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TARGET } from '../simulator/index.ts';

export { DEFAULT_TARGET };

/** The receiver of one running `meshray stack` or `meshray start`, as its file holds it. */
export interface RunningReceiver {
  readonly pid: number;
  readonly command: 'stack' | 'start';
  /** The receiver's base URL, e.g. `http://127.0.0.1:9411` (`/api/v2/spans` is appended by the senders). */
  readonly receiver: string;
  /** Linux: the process's start time (`/proc/<pid>/stat` field 22, clock ticks after boot), to tell a reused pid. */
  readonly started?: string;
  /**
   * `meshray stack` only (the all-in-one keeps its spans in memory): the Kafka its services use, so that
   * `meshray capture` and `meshray replay` without --brokers read the stack's topics (found by a newcomer trial:
   * the stack's own broker listens on a port the OS picked).
   */
  readonly kafka?: RunningKafka;
  /**
   * `meshray stack` only: where its translators export (its own xray-local's URL; absent when they export to
   * AWS or to an XRAY_ENDPOINT it was given) and by which protocol, so that `meshray replay` without
   * --xray-endpoint or --protocol exports as the stack does (found by a newcomer trial: it asked for an endpoint,
   * and its dry run made segments for a stack on the OTLP path).
   */
  readonly xray?: RunningXRay;
}

/** The export target of a running `meshray stack`. */
export interface RunningXRay {
  readonly endpoint?: string;
  readonly protocol: 'segments' | 'otlp';
}

/**
 * The Kafka of a running `meshray stack`: its bootstrap brokers (`host:port,...`), topic names, and whether it
 * needs TLS or SASL (never the credentials: a reader must bring its own, and is told so when it has none).
 */
export interface RunningKafka {
  readonly brokers: string;
  readonly spansTopic: string;
  readonly dlqTopic: string;
  /** KAFKA_SSL of the stack's services (absent: false). */
  readonly ssl?: boolean;
  /** KAFKA_SASL_MECHANISM of the stack's services (absent: 'none'). */
  readonly saslMechanism?: string;
}

const securityOf = (k: Partial<RunningKafka>): Pick<RunningKafka, 'ssl' | 'saslMechanism'> => ({
  ...(k.ssl === true ? { ssl: true } : {}),
  ...(typeof k.saslMechanism === 'string' && k.saslMechanism !== 'none' ? { saslMechanism: k.saslMechanism } : {}),
});

/** The start time of process `pid` (Linux), or undefined where it cannot be read. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so count the fields after its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether `path` is this user's own and not a link, and none but its owner may write to it (0o022 clear). */
function ownedPrivately(path: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    const st = lstatSync(path);
    return !st.isSymbolicLink() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}


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
    if (!ownedPrivately(dir)) return { failed: `${dir} is not this user's own, or others may write to it` };
    const partial = `${file}.partial`;
    writeFileSync(partial, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    renameSync(partial, file);
  } catch (e) {
    return { failed: (e as Error).message };
  }
  return { remove: () => rmSync(file, { force: true }) };
}

/** What `meshray stack` and `meshray start` announce: this process, its command, its receiver and (stack) its Kafka and export target. */
export function thisProcess(command: RunningReceiver['command'], receiver: string, kafka?: RunningKafka, xray?: RunningXRay): RunningReceiver {
  const started = processStartOf(process.pid);
  return { pid: process.pid, command, receiver, ...(started === undefined ? {} : { started }), ...(kafka === undefined ? {} : { kafka }), ...(xray === undefined ? {} : { xray }) };
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

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

function parseEntry(text: string): RunningReceiver | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunningReceiver>;
    if (!Number.isInteger(value.pid) || (value.command !== 'stack' && value.command !== 'start') || typeof value.receiver !== 'string') return undefined;
    const k = value.kafka as Partial<RunningKafka> | undefined;
    const kafka = isText(k?.brokers) && isText(k.spansTopic) && isText(k.dlqTopic)
      ? { brokers: k.brokers, spansTopic: k.spansTopic, dlqTopic: k.dlqTopic, ...securityOf(k) } : undefined;
    const x = value.xray as Partial<RunningXRay> | undefined;
    const xray = x?.protocol === 'segments' || x?.protocol === 'otlp'
      ? { protocol: x.protocol, ...(isText(x.endpoint) ? { endpoint: x.endpoint } : {}) } : undefined;
    return {
      pid: value.pid as number, command: value.command, receiver: value.receiver,
      ...(typeof value.started === 'string' ? { started: value.started } : {}), ...(kafka === undefined ? {} : { kafka }),
      ...(xray === undefined ? {} : { xray }),
    };
  } catch {
    return undefined;
  }
}

/** The receivers whose process still runs, by pid; the files of those gone are removed. */
export function runningReceivers(dir: string, isAlive: (pid: number) => boolean = pidIsAlive): RunningReceiver[] {
  if (!ownedPrivately(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const out: RunningReceiver[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (!ownedPrivately(file)) continue;
    let entry: RunningReceiver | undefined;
    try {
      entry = parseEntry(readFileSync(file, 'utf8'));
    } catch {
      continue; // removed meanwhile
    }
    const reused = entry?.started !== undefined && processStartOf(entry.pid) !== entry.started;
    if (entry !== undefined && `${entry.pid}.json` === name && isAlive(entry.pid) && !reused) out.push(entry);
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

/**
 * What may hold `port`, for a "port in use" message: "held by meshray start, pid 4242" when a running stack's or
 * all-in-one's receiver listens there; else the running ones as a guess beside another program; else
 * "another program?". Only receivers are announced, so a stack's other ports (xray-local, the translators'
 * ops ports) get the guess.
 */
export function holderOfPort(running: readonly RunningReceiver[], port: number): string {
  const portOf = (r: RunningReceiver): number | undefined => {
    try {
      const url = new URL(r.receiver);
      return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    } catch {
      return undefined;
    }
  };
  const exact = running.find((r) => portOf(r) === port);
  if (exact !== undefined) return `held by meshray ${exact.command}, pid ${exact.pid}`;
  if (running.length > 0) return `another program, or ${running.map((r) => `meshray ${r.command} (pid ${r.pid})`).join(', ')} running on this machine?`;
  return 'another program?';
}
