/**
 * `meshray stack`: the split services on one machine, without Docker: a real Kafka broker (the project's
 * own tooling, tools/kafka/kafka.mjs), the receiver, N translators (one consumer group, Redis epoch
 * agreement), and xray-local as their X-Ray. Each service is a child process running this CLI, exactly
 * as deployed. Ports are free ones (the usual port when it is free), every endpoint and the environment
 * used are printed, and SIGINT/SIGTERM stop the services in order (receiver, translators, xray-local,
 * then the broker), leaving no process and no port behind. docker-compose.yml is the same stack with Docker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { isatty } from 'node:tty';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandIo } from '../commands.ts';
import { KNOWN_VARIABLES, warnEnvTypos } from '../command-args.ts';
import { nodeOptionsFor } from '../node-options.ts';
import { outputMayBeGone, REPEATED_SIGNAL_MS, STOP_SIGNALS } from '../run-until-signal.ts';
import { parentDeathPrefix } from './stack/parent-death.ts';
import { parseStackArgs } from './stack/args.ts';
import { STACK_HELP } from './stack/help.ts';
import { stackBanner } from './stack/banner.ts';
import { pickPort, portIsFree } from './stack/ports.ts';
import { drainTranslators } from './stack/drain.ts';
import { STACK_HOST, checkKafka, checkRedis, configProblems, throwawayTypos, translatorGroupNote } from './stack/preflight.ts';
import { announceReceiver, holderOfPort, runningReceivers, runtimeDirOf, thisProcess } from '../running-receivers.ts';
import { kafkaSecurityAnnounced } from '../replay/source-flags.ts';
import { chooseExportTarget, exportTargetWarning, kafkaNamesOf } from '../../../shared/edge/config/index.ts';

const HOST = STACK_HOST;
const READY_TIMEOUT_MS = 120_000;
/** A service gets this long after SIGTERM before SIGKILL (a translator may take SHUTDOWN_TIMEOUT, 30 s; the receiver RECEIVER_REQUEST_TIMEOUT, 30 s, then SHUTDOWN_DRAIN_TIMEOUT, 10 s). */
const STOP_GRACE_MS = 50_000;
/** How long a stopping stack waits for its translators to commit what its own broker holds (ASSEMBLY_MAX_AGE's default, 30 s, and an export). */
const DRAIN_TIMEOUT_MS = 35_000;
/** How often the stack checks that the program that started it is still there. */
const PARENT_WATCH_MS = 1000;

interface Broker {
  readonly brokers: string;
  readonly pid: number;
  readonly dir: string;
  stop(): Promise<void>;
  /** Resolves when the broker process exits (tools/kafka/kafka.mjs). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
interface KafkaTooling { startBroker(options: { log: (m: string) => void; handleSignals: boolean; detached: boolean; commandPrefix: string[] }): Promise<Broker> }

/** A service child process. */
interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly portVariable: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
}

/** How this CLI runs itself: the same entry (TypeScript through tsx in a checkout, dist/ in the image). */
function cliInvocation(): { args: string[]; cwd: string } {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const entry = join(dirname(self), '..', `main${ext}`);
  const root = join(dirname(self), '..', '..', '..', ...(ext === '.js' ? ['..'] : []));
  return { args: ext === '.ts' ? ['--import', 'tsx', entry] : [entry], cwd: root };
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parentPid = process.ppid; // before any check: a launcher killed during them is seen too
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(STACK_HELP);
    return 0;
  }
  const say = (line: string): void => { io.stderr.write(`meshray stack: ${line}\n`); };
  const { translators, redisEnabled, errors } = parseStackArgs(args, io.env);
  if (errors.length > 0) {
    for (const e of errors) say(e);
    io.stderr.write(`Run 'meshray stack --help' for usage.\n`);
    return 1;
  }
  // Where the translators export: the stack's own xray-local unless XRAY_ENDPOINT (or AWS_REGION with credentials)
  // says otherwise, as for meshray start (the stack replaced a given XRAY_ENDPOINT with its own without a word:
  // found by a newcomer trial).
  const exportSettings = { XRAY_ENDPOINT: io.env['XRAY_ENDPOINT'] || undefined, AWS_REGION: io.env['AWS_REGION'] || undefined };
  const target = chooseExportTarget(exportSettings, io.env);
  const ownXray = target.kind === 'embedded';
  // Before anything starts, above all a broker. Two typos send the spans somewhere the stop deletes: a problem, not a
  // warning that scrolls away under the services' logs (a newcomer trial: KAFKA_BROKER=… started a throwaway broker,
  // as the README said the checks prevent); the others are warnings.
  const throwaway = throwawayTypos(io.env, ownXray);
  warnEnvTypos({ ...io, env: Object.fromEntries(Object.entries(io.env).filter(([name]) => !throwaway.has(name))) }, 'stack', KNOWN_VARIABLES);
  // What the stack depends on, checked before anything starts; every problem is listed at once.
  const problems: string[] = [...throwaway.values(), ...(await configProblems(io.env, redisEnabled, ownXray))];
  let groupNote: string | undefined;
  if (io.env['KAFKA_BROKERS'] !== undefined && io.env['KAFKA_BROKERS'] !== '') {
    const problem = await checkKafka(io.env);
    if (problem !== undefined) problems.push(problem);
    else groupNote = await translatorGroupNote(io.env);
  }
  const redisUrl = io.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
  if (redisEnabled) {
    const problem = await checkRedis(redisUrl);
    if (problem !== undefined) problems.push(`Redis at ${redisUrl} (REDIS_URL) does not answer: ${problem}; start Redis, set REDIS_URL, or use --no-redis`);
  }
  // A port given in the environment is used as given: one another program holds would have a service fail
  // after its start, or worse, that program answer its readiness probe ("is up" for a service that died).
  // A meshray stack or start already running is named, not guessed at as "another program?".
  const running = runningReceivers(runtimeDirOf(io.env));
  const holderOf = (port: number): string => holderOfPort(running, port);
  for (const variable of [...(ownXray ? ['XRAY_LOCAL_PORT'] : []), 'RECEIVER_PORT', 'TRANSLATOR_OPS_PORT']) {
    const given = io.env[variable];
    const port = Number(given);
    if (given !== undefined && Number.isInteger(port) && port > 0 && port < 65536 && !(await portIsFree(port))) problems.push(`${variable}=${given}: port ${given} is in use (${holderOf(port)}); free it or set ${variable} to another port`);
  }
  if (problems.length > 0) {
    for (const p of problems) say(p);
    return 1;
  }
  const targetWarning = exportTargetWarning(exportSettings, io.env, target, 'meshray stack');
  if (targetWarning !== undefined) say(`warning: ${targetWarning}`);
  if (groupNote !== undefined) say(`warning: ${groupNote}`);

  const services: Service[] = [];
  let broker: Broker | undefined;
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  let onInterrupt!: () => void;
  const interruptedNow = new Promise<undefined>((resolve) => { onInterrupt = () => resolve(undefined); });
  /** Removes this stack's receiver from running-receivers.ts's directory once it stops. */
  let removeAnnouncement = (): void => undefined;
  /** A second Ctrl-C (not npm's copy of the first) ends the wait for the translators at once. */
  let onSecondSignal!: () => void;
  const secondSignal = new Promise<void>((resolve) => { onSecondSignal = resolve; });
  let firstSignalAt = -Infinity;
  const stopAll = (): Promise<void> => {
    removeAnnouncement();
    stopping ??= (async () => {
      // Receiver first (it flushes to Kafka), then translators (they commit), xray-local, the broker last.
      const stopNamed = (names: readonly string[]): Promise<unknown> => Promise.all(services.filter((s) => names.includes(s.name)).map((s) => stopService(s)));
      const translators = services.filter((s) => s.name.startsWith('translator'));
      await stopNamed(['receiver']);
      // Stopped on purpose, with a broker of its own that the stop deletes: what the translators hold goes with it.
      if (interrupted && broker !== undefined && translators.length > 0 && translators.every((s) => s.exit === undefined)) {
        const names = kafkaNamesOf(io.env);
        await drainTranslators({
          brokers: broker.brokers, topic: names.spansTopic, groupId: names.groupId,
          timeoutMs: DRAIN_TIMEOUT_MS, skip: secondSignal, say,
        });
      }
      await stopNamed(translators.map((s) => s.name));
      await stopNamed(['xray-local']);
      if (broker) await broker.stop();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    outputMayBeGone(signal);
    if (interrupted) {
      if (performance.now() - firstSignalAt >= REPEATED_SIGNAL_MS) onSecondSignal();
      return;
    }
    firstSignalAt = performance.now();
    interrupted = true;
    onInterrupt();
    say(`${signal}: stopping every service`);
    void stopAll();
  };
  // SIGHUP too: a closed terminal killed this process alone, and its broker and services (their own process groups) ran on.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // The program that started this one in a terminal (npm, npx, a shell script) killed alone, without passing the
  // signal on, left the stack running unsupervised on the usual ports, and the next stack moved to others (found by
  // a newcomer trial): re-parented, the stack stops as on SIGTERM. Polled: Linux tells a child nothing when its
  // parent goes. Only with a terminal on stdin: a stack put in the background on purpose by a script or a CI step
  // (`meshray stack > log &`: stdin is /dev/null) outlives its shell, as before. (nohup changes nothing: node resets
  // the SIGHUP it ignores, and the stack stops on SIGHUP.)
  // Killed -9 itself, the stack can stop nothing: its children get SIGTERM from the kernel instead (parent-death.ts).
  const diesWithStack = parentDeathPrefix(io.env['PATH']);
  const watchParent = isatty(0);
  const parentWatch = setInterval(() => {
    if (!watchParent || process.ppid === parentPid || interrupted) return;
    clearInterval(parentWatch);
    outputMayBeGone('SIGHUP');
    interrupted = true;
    onInterrupt();
    say(`the program that started meshray stack (pid ${parentPid}) exited: stopping every service`);
    void stopAll();
  }, PARENT_WATCH_MS);
  parentWatch.unref();
  if (!watchParent) clearInterval(parentWatch);
  // The broker and the services are in their own process groups (ordered shutdown): never leave them if this process dies.
  const killChildren = (): void => {
    removeAnnouncement();
    for (const s of services) if (s.exit === undefined) try { s.child.kill('SIGKILL'); } catch { /* gone */ }
  };
  process.on('exit', killChildren);

  try {
    const kafkaBrokers = io.env['KAFKA_BROKERS'];
    let brokersLine: string;
    if (kafkaBrokers !== undefined && kafkaBrokers !== '') {
      brokersLine = `${kafkaBrokers} (KAFKA_BROKERS)`;
    } else {
      say('starting a Kafka broker (tools/kafka)…');
      const toolingUrl = pathToFileURL(join(cliInvocation().cwd, 'tools', 'kafka', 'kafka.mjs')).href;
      let tooling: KafkaTooling;
      try {
        tooling = (await import(toolingUrl)) as KafkaTooling;
      } catch {
        say('no Kafka tooling here (tools/kafka/kafka.mjs is part of a checkout, not of the image): set KAFKA_BROKERS to a running broker');
        return 1;
      }
      try {
        broker = await tooling.startBroker({ log: (m) => say(`kafka: ${m}`), handleSignals: false, detached: true, commandPrefix: diesWithStack });
      } catch (e) {
        // Ctrl-C while the broker is formatted or starts reaches its Java process too (same process group until it
        // runs): that is the interruption, not a broker fault ("kafka storage format failed (130)" said otherwise).
        if (interrupted) return await finish(0);
        say(`the Kafka broker did not start: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}`);
        return 1;
      }
      brokersLine = `${broker.brokers} (pid ${broker.pid}, logs ${join(broker.dir, 'server.log')})`;
    }
    if (interrupted) return await finish(0);
    const brokers = broker?.brokers ?? kafkaBrokers ?? '';

    const taken = new Set<number>();
    const moved: string[] = [];
    const xrayPort = ownXray ? await pickPort(io.env, 'XRAY_LOCAL_PORT', 2000, taken, moved, holderOf) : undefined;
    const receiverPort = await pickPort(io.env, 'RECEIVER_PORT', 9411, taken, moved, holderOf);
    const basePort = Number(io.env['TRANSLATOR_OPS_PORT'] || '9412');
    const opsPorts: number[] = [];
    for (let i = 0; i < translators; i++) {
      opsPorts.push(await pickPort(i === 0 ? io.env : {}, 'TRANSLATOR_OPS_PORT', basePort + i, taken, i === 0 ? moved : [], holderOf));
    }
    const xrayEndpoint = xrayPort === undefined ? undefined : `http://${HOST}:${xrayPort}`;
    const common = { KAFKA_BROKERS: brokers };
    const plan: { name: string; command: string; port: number; portVariable: string; env: Record<string, string> }[] = [
      ...(xrayPort === undefined ? [] : [{
        name: 'xray-local', command: 'xray-local', port: xrayPort, portVariable: 'XRAY_LOCAL_PORT',
        // With EXPORT_PROTOCOL=otlp it plays an account with Transaction Search on, as `meshray start` does.
        env: { XRAY_LOCAL_PORT: String(xrayPort), XRAY_LOCAL_HOST: HOST, ...(io.env['EXPORT_PROTOCOL'] === 'otlp' && io.env['XRAY_LOCAL_TRACE_SEGMENT_DESTINATION'] === undefined ? { XRAY_LOCAL_TRACE_SEGMENT_DESTINATION: 'CloudWatchLogs' } : {}) },
      }]),
      { name: 'receiver', command: 'receiver', port: receiverPort, portVariable: 'RECEIVER_PORT', env: { ...common, RECEIVER_PORT: String(receiverPort) } },
      ...opsPorts.map((port, i) => ({
        name: `translator-${i + 1}`,
        command: 'translator',
        port,
        portVariable: 'TRANSLATOR_OPS_PORT',
        env: {
          ...common,
          TRANSLATOR_OPS_PORT: String(port),
          ...(xrayEndpoint === undefined ? {} : { XRAY_ENDPOINT: xrayEndpoint }),
          ...(redisEnabled ? { REDIS_URL: redisUrl, EPOCH_STORE: 'redis' } : { EPOCH_STORE: 'memory' }),
        },
      })),
    ];
    const width = Math.max(...plan.map((p) => p.name.length));
    const startService = (p: (typeof plan)[number]): Service => {
      const { args: cliArgs, cwd } = cliInvocation();
      const nodeOptions = nodeOptionsFor(p.command, io.env);
      const [command, ...args] = [...diesWithStack, process.execPath, ...cliArgs, p.command];
      const child = spawn(command as string, args, {
        cwd,
        env: { ...io.env, ...p.env, ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group: a terminal's Ctrl-C reaches the stack, which stops services in order
      });
      const prefix = `${p.name.padEnd(width)} | `;
      for (const stream of [child.stdout, child.stderr]) {
        let rest = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) io.stdout.write(`${prefix}${line}\n`);
        });
        stream?.on('end', () => { if (rest !== '') io.stdout.write(`${prefix}${rest}\n`); });
      }
      const service: Service = {
        name: p.name, child, port: p.port, portVariable: p.portVariable, exit: undefined,
        exited: new Promise((resolve) => {
          child.once('exit', (code, signal) => { service.exit = { code, signal }; resolve(); });
          child.once('error', (e) => { say(`${p.name}: ${e.message}`); service.exit = { code: 1, signal: null }; resolve(); });
        }),
      };
      services.push(service);
      return service;
    };

    // xray-local and the receiver first (the receiver creates the span topic), then the translators.
    const stages = [plan.filter((p) => !p.name.startsWith('translator')), plan.filter((p) => p.name.startsWith('translator'))];
    for (const stage of stages) {
      const started = stage.map(startService);
      const problem = await Promise.race([
        Promise.all(started.map((s) => waitReady(s, () => interrupted))).then((problems) => problems.find((p) => p !== undefined)),
        ...started.map((s) => s.exited.then(() => `${s.name} exited during start (${describeExit(s)})`)),
        interruptedNow,
      ]);
      if (interrupted) return await finish(0);
      if (problem !== undefined) {
        say(problem);
        return await finish(1);
      }
    }

    const pidOf = (name: string): number | undefined => services.find((s) => s.name === name)?.child.pid;
    io.stdout.write(stackBanner({
      brokers, brokersLine, ownBroker: broker !== undefined, redis: redisEnabled ? redisUrl : undefined, receiverPort, opsPorts, xrayPort, xrayEndpoint, target,
      moved: groupNote === undefined ? moved : [...moved, groupNote], env: io.env, pidOf,
    }));
    // `meshray send` and `meshray demo` without --target post here, not to whatever holds :9411 (running-receivers.ts).
    // `meshray capture` and `replay` without --brokers read this stack's topics (its own broker's port is the OS's pick).
    const { spansTopic, dlqTopic } = kafkaNamesOf(io.env);
    const announced = announceReceiver(runtimeDirOf(io.env), thisProcess('stack', `http://${HOST}:${receiverPort}`, {
      brokers, spansTopic, dlqTopic,
      // its own broker is plain; a broker given by KAFKA_BROKERS is reached as the services reach it
      ...(broker === undefined ? kafkaSecurityAnnounced(io.env) : {}),
    }, { protocol: io.env['EXPORT_PROTOCOL'] === 'otlp' ? 'otlp' : 'segments', ...(xrayEndpoint === undefined ? {} : { endpoint: xrayEndpoint }) }));
    if ('failed' in announced) say(`note: meshray send and demo will not find this receiver without --target, nor capture and replay its Kafka without --brokers (${announced.failed})`);
    else removeAnnouncement = announced.remove;

    // Running: until a signal, or until a service or the stack's own broker dies (then the stack stops: a
    // partial stack misleads; a killed broker was seen only in the services' kafkajs stack traces).
    const ownBroker = broker;
    const died = await Promise.race([
      interruptedNow,
      ...services.map((s) => s.exited.then(() => `${s.name} exited (${describeExit(s)})`)),
      ...(ownBroker === undefined ? [] : [ownBroker.exited.then((e) => `kafka (pid ${ownBroker.pid}) exited (${e.signal ? `signal ${e.signal}` : `code ${e.code ?? '?'}`})`)]),
    ]);
    if (died !== undefined && !interrupted) {
      say(`${died}; stopping the stack`);
      return await finish(1);
    }
    return await finish(0);
  } finally {
    clearInterval(parentWatch);
    await stopAll();
    process.off('exit', killChildren);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }

  async function finish(code: number): Promise<number> {
    await stopAll();
    const unclean = services.filter((s) => s.exit !== undefined && s.exit.code !== 0 && s.exit.code !== null && code === 0);
    for (const s of unclean) say(`${s.name} exited with code ${s.exit?.code ?? '?'} while stopping`);
    say('stopped');
    return unclean.length > 0 ? 1 : code;
  }
}

function describeExit(s: Service): string {
  if (s.exit === undefined) return 'running';
  return s.exit.signal ? `signal ${s.exit.signal}` : `code ${s.exit.code ?? '?'}`;
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
async function stopService(s: Service): Promise<void> {
  if (s.exit !== undefined) return;
  s.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(resolve, STOP_GRACE_MS, 'late'); });
  const outcome = await Promise.race([s.exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    s.child.kill('SIGKILL');
    await s.exited;
  }
}

/** Polls the service's /health/ready until 200; resolves with undefined, or the problem at the deadline. */
async function waitReady(s: Service, interrupted: () => boolean): Promise<string | undefined> {
  const url = `http://${HOST}:${s.port}/health/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (!interrupted() && s.exit === undefined) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return undefined;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) return `${s.name} not ready after ${READY_TIMEOUT_MS / 1000} s (${url}: ${last})`;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
