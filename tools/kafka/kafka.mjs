#!/usr/bin/env node
// A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for development and
// tests, resolved from Maven Central through tools/kafka/pom.xml. No Docker, no Kafka install.
//
//   node tools/kafka/kafka.mjs install   resolve the jars (mvn) into .kafka/classpath.txt
//   node tools/kafka/kafka.mjs start     run a broker in the foreground (port 9092 if free)
//   node tools/kafka/kafka.mjs stop      stop the broker started by `start`
//
// Library use (scripts/run-tests.mjs):
//   const { startBroker } = await import('../tools/kafka/kafka.mjs');
//   const broker = await startBroker({ log });   // { brokers: '127.0.0.1:PORT', stop() }
//
// Plain ESM JavaScript on purpose: it runs under `node` before tsx is involved.
// See docs/kafka-broker.md for the choices made here (Kafka 4.1, kafkajs compatibility, timings).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync,
  unlinkSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const STATE_DIR = join(ROOT, '.kafka');
const POM = join(HERE, 'pom.xml');
const LOG4J2_CONFIG = join(HERE, 'log4j2.properties');
const CLASSPATH_FILE = join(STATE_DIR, 'classpath.txt');
const DEV_PID_FILE = join(STATE_DIR, 'dev.pid');
const HOST = '127.0.0.1';
const DEV_PORT = 9092;
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 30;

const noop = () => {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const javaBin = () => (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

/** True when classpath.txt exists, is newer than the pom, and every jar in it is on disk. */
function classpathIsCurrent() {
  if (!existsSync(CLASSPATH_FILE)) return false;
  if (statSync(CLASSPATH_FILE).mtimeMs < statSync(POM).mtimeMs) return false;
  const jars = readFileSync(CLASSPATH_FILE, 'utf8').trim().split(':').filter(Boolean);
  return jars.length > 0 && jars.every((j) => existsSync(j));
}

/**
 * Resolves the broker's jars with Maven (downloading them on a fresh machine) and returns the
 * classpath. Skipped when .kafka/classpath.txt is current.
 */
export function install({ log = noop } = {}) {
  if (classpathIsCurrent()) return readFileSync(CLASSPATH_FILE, 'utf8').trim();
  mkdirSync(STATE_DIR, { recursive: true });
  const tmp = `${CLASSPATH_FILE}.${process.pid}.tmp`;
  const mvn = process.env.MVN ?? 'mvn';
  log(`resolving Kafka jars with ${mvn} (tools/kafka/pom.xml)`);
  const started = Date.now();
  // -Dmdep.outputFile must be absolute: Maven resolves a relative one against the pom's directory.
  const res = spawnSync(
    mvn,
    ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${tmp}`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  printMavenOutput(res);
  if (res.error) {
    throw new Error(`cannot run ${mvn} (install Maven 3 and a JDK 17+, or set MVN): ${res.error.message}`);
  }
  if (res.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    throw new Error(`${mvn} dependency:build-classpath failed (exit ${res.status ?? res.signal})`);
  }
  renameSync(tmp, CLASSPATH_FILE);
  log(`resolved Kafka classpath in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${CLASSPATH_FILE}`);
  return readFileSync(CLASSPATH_FILE, 'utf8').trim();
}

/**
 * Maven 3.8's `-q` still writes ANSI resets (ESC[0m) whatever `-Dstyle.color` says: its output is taken
 * whole and printed without them, and only when something is left (an error, a warning).
 */
function printMavenOutput(res) {
  const text = `${res.stdout ?? ''}${res.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (text !== '') process.stderr.write(`${text}\n`);
}

/** Listens on `port` (0: the OS picks one) and resolves with it once the socket is closed again; rejects when it is taken. */
function listenOn(port) {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port, host: HOST, exclusive: true }, () => {
      const address = srv.address();
      srv.close(() => resolvePort(typeof address === 'object' && address ? address.port : port));
    });
  });
}

export async function isPortFree(port) {
  try {
    await listenOn(port);
    return true;
  } catch {
    return false;
  }
}

/** `count` distinct free ports (held open together so the OS cannot hand out the same one twice). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      srv.unref();
      await new Promise((ok, ko) => {
        srv.once('error', ko);
        srv.listen({ port: 0, host: HOST, exclusive: true }, ok);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(() => ok()))));
  }
}

/**
 * server.properties of one node. Single node (`voters` absent): node 1, a dynamic quorum of one, internal
 * topics RF 1. Cluster node: a static quorum of `voters` ("1@host:port,..."), every topic RF 3 by default
 * with min.insync.replicas 2, and short failure detection (a broker silent for 6 s is fenced).
 */
function serverProperties({ brokerPort, controllerPort, logDir, nodeId = 1, voters, config = {} }) {
  const rf = voters === undefined ? 1 : Math.min(3, voters.split(',').length);
  const minIsr = Math.max(1, rf - 1);
  return [
    `# Written by tools/kafka/kafka.mjs: ${voters === undefined ? 'single-node' : `cluster node ${nodeId}:`} KRaft broker+controller for dev/tests.`,
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    // Single node: Kafka 4.x dynamic quorum (KIP-853), bootstrap servers + `storage format --standalone`.
    voters === undefined ? `controller.quorum.bootstrap.servers=${HOST}:${controllerPort}` : `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://${HOST}:${brokerPort},CONTROLLER://${HOST}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${brokerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=6',
    // Our code creates every topic with the admin client (shared/edge/kafka/topics.ts); a typo in a
    // topic name must fail loudly instead of silently creating a new topic.
    'auto.create.topics.enable=false',
    // Topics created with replicationFactor -1 (the services' default) take these.
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${rf}`,
    // Few internal partitions: the first group join / idempotent producer waits for these to load.
    'offsets.topic.num.partitions=3',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=3',
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    ...(voters === undefined ? [] : [
      // Failover in seconds, not half a minute: fence a silent broker after 6 s, drop a lagging
      // follower from the ISR after 10 s.
      'broker.heartbeat.interval.ms=1000',
      'broker.session.timeout.ms=6000',
      'replica.lag.time.max.ms=10000',
      'controlled.shutdown.enable=true',
    ]),
    ...Object.entries(config).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
}

/** [brokerPort, controllerPort] of the `listeners=` line of an earlier server.properties, if any. */
function formerPorts(propsFile) {
  if (!existsSync(propsFile)) return undefined;
  const m = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+),CONTROLLER:\/\/[^:]+:(\d+)$/m.exec(readFileSync(propsFile, 'utf8'));
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

function tailFile(path, lines = LOG_TAIL_LINES) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function jvmLoggingArgs(logFile) {
  return [`-Dlog4j2.configurationFile=${LOG4J2_CONFIG}`, `-Dmeshray.kafka.logFile=${logFile}`];
}

function runJava(args, { outFile }) {
  return new Promise((ok, ko) => {
    const fd = openSync(outFile, 'a');
    const child = spawn(javaBin(), args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.once('error', (e) => ko(new Error(`cannot run ${javaBin()} (need a JDK 17+, or set JAVA_HOME): ${e.message}`)));
    child.once('exit', (code, signal) => ok({ code, signal }));
  });
}

/**
 * Resolves when a kafkajs admin can connect and describeCluster answers with `isReady(cluster)` true
 * (default: a broker and a controller); rejects when one of the JVMs dies.
 */
async function waitUntilReady({ brokers, child, children = [child], deadline, describeFailure, isReady = (c) => c.brokers.length > 0 && c.controller !== null }) {
  let exited = null;
  const onExit = (code, signal) => { exited = { code, signal }; };
  for (const c of children) c.once('exit', onExit);
  let lastError = 'no attempt made';
  try {
    while (Date.now() < deadline) {
      if (exited) throw new Error(`Kafka exited during startup (${exited.code ?? exited.signal})\n${describeFailure()}`);
      const kafka = new kafkajs.Kafka({
        clientId: 'meshray-kafka-readiness',
        brokers: brokers.split(','),
        logLevel: kafkajs.logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 },
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (isReady(cluster)) return cluster;
        lastError = `cluster incomplete: brokers [${cluster.brokers.map((b) => b.nodeId).join(',')}], controller ${cluster.controller}`;
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
      } finally {
        await admin.disconnect().catch(noop);
      }
      await sleep(250);
    }
    throw new Error(
      `Kafka did not become ready within ${START_TIMEOUT_MS / 1000} s (last error: ${lastError})\n${describeFailure()}`,
    );
  } finally {
    for (const c of children) c.off('exit', onExit);
  }
}

/**
 * Spawns the JVM of `propsFile`, its output appended to `consoleFile`; `spawnError` rejects if java cannot run.
 * Its garbage collections and safepoints (JVM unified logging, wall-clock stamped) go to `gc.log` beside
 * `logFile`: the benches line broker pauses up against the receiver's slow answers (bench/compare/open-loop.ts).
 */
function spawnKafka({ classpath, propsFile, logFile, consoleFile, detached = false, heapMb = 512, commandPrefix = [] }) {
  const fd = openSync(consoleFile, 'a');
  const gcLog = join(dirname(logFile), 'gc.log');
  const java = [javaBin(),
    `-Xmx${heapMb}m`, '-Xms128m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvmLoggingArgs(logFile),
    `-Xlog:gc,safepoint:file="${gcLog}":time,uptime:filecount=2,filesize=20m`,
    '-cp', classpath, 'kafka.Kafka', propsFile];
  const [command, ...args] = [...commandPrefix, ...java];
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], detached });
  closeSync(fd);
  if (child.pid !== undefined) writeFileSync(join(dirname(propsFile), BROKER_PID_FILE), `${child.pid}\n`);
  const spawnError = new Promise((_, ko) => child.once('error', (e) =>
    ko(new Error(`cannot run ${javaBin()} (need a JDK 17+, or set JAVA_HOME): ${e.message}`))));
  spawnError.catch(noop);
  return { child, spawnError };
}

const isRunning = (child) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once `child` exited. */
async function terminate(child, log) {
  if (!isRunning(child)) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGCONT'); // a paused JVM cannot handle SIGTERM
  child.kill('SIGTERM');
  const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    log(`broker pid ${child.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s, killing it`);
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Runs `kill` when this process exits (and on SIGINT/SIGTERM/SIGHUP when `handleSignals`); returns the
 * function that removes these hooks.
 */
function killOnExit(kill, handleSignals) {
  const onSignal = (signal) => {
    kill();
    // Keep the default behaviour (die by the signal) unless the host installed its own handler.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals = handleSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : [];
  process.on('exit', kill);
  for (const s of signals) process.once(s, onSignal);
  return () => {
    process.off('exit', kill);
    for (const s of signals) process.off(s, onSignal);
  };
}

/**
 * Starts a fresh single-node Kafka broker on loopback and waits until a kafkajs admin can describe
 * the cluster. The broker's directory (config, data, server.log) is a new temp dir under .kafka/
 * unless `dataDir` is given; stop() deletes the temp dir (a caller-provided dataDir is kept).
 *
 * The broker is SIGKILLed if this process exits; on SIGINT/SIGTERM/SIGHUP too, unless
 * `handleSignals: false` (the caller then stops it itself, like the `start` CLI does).
 *
 * @param {{ log?: (msg: string) => void, dataDir?: string, port?: number, handleSignals?: boolean, detached?: boolean, commandPrefix?: string[], config?: Record<string, string> }} [options]
 *   `port`: broker port to use (must be free); default: a free port picked by the OS.
 *   `config`: more server.properties entries (the test runner's timestamp guard); default none.
 *   `detached`: run the JVM in its own process group, so a terminal's Ctrl-C reaches only the caller,
 *   which then stops the broker last (`meshray stack` stops the services first). Default false.
 *   `commandPrefix`: a command that execs the JVM (same pid), e.g. `meshray stack`'s
 *   `setpriv --pdeathsig TERM --`; default none.
 * @returns {Promise<{ brokers: string, port: number, dir: string, pid: number, startupMs: number, stop: () => Promise<void> }>}
 */
export async function startBroker({ log = noop, dataDir, port, handleSignals = true, detached = false, commandPrefix = [], config = {} } = {}) {
  const t0 = Date.now();
  const classpath = install({ log });
  mkdirSync(STATE_DIR, { recursive: true });
  const ownsDir = dataDir === undefined;
  if (ownsDir) removeStaleDirs(STATE_DIR, log);
  const dir = ownsDir ? ownedTempDir('broker-') : resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const removeDir = () => { if (ownsDir) rmSync(dir, { recursive: true, force: true }); };

  // A dataDir started before keeps its ports (its controller quorum recorded the controller's endpoint).
  const previous = formerPorts(join(dir, 'server.properties'));
  const [brokerPort, controllerPort] = await (async () => {
    if (previous !== undefined && (port === undefined || port === previous[0])) return previous;
    if (port === undefined) return freePorts(2);
    if (!(await isPortFree(port))) throw new Error(`port ${port} is in use`);
    let [cport] = await freePorts(1);
    while (cport === port) [cport] = await freePorts(1);
    return [port, cport];
  })();
  const brokers = `${HOST}:${brokerPort}`;
  const propsFile = join(dir, 'server.properties');
  const logFile = join(dir, 'server.log');
  const consoleFile = join(dir, 'console.log');
  writeFileSync(propsFile, serverProperties({ brokerPort, controllerPort, logDir: join(dir, 'data'), config }));
  const describeFailure = () =>
    [`--- ${logFile} (last lines) ---`, tailFile(logFile), `--- ${consoleFile} (last lines) ---`, tailFile(consoleFile)]
      .join('\n');

  // Kafka 4.x: storage must be formatted before first start; --standalone makes this node the
  // single voter of a dynamic controller quorum (pairs with controller.quorum.bootstrap.servers).
  // A dataDir formatted before is started as it is (a restart of the same broker).
  const formatted = existsSync(join(dir, 'data', 'meta.properties'));
  const format = formatted ? { code: 0 } : await runJava(
    ['-Xmx256m', ...jvmLoggingArgs(logFile), '-cp', classpath, 'kafka.tools.StorageTool',
      'format', `--cluster-id=${clusterId()}`, '--config', propsFile, '--standalone', '--ignore-formatted'],
    { outFile: consoleFile },
  ).catch((e) => { removeDir(); throw e; });
  if (format.code !== 0) {
    const details = describeFailure();
    removeDir();
    throw new Error(`kafka storage format failed (${format.code ?? format.signal})\n${details}`);
  }
  const formatMs = Date.now() - t0;

  const { child, spawnError } = spawnKafka({ classpath, propsFile, logFile, consoleFile, detached, commandPrefix });

  // Never leave a broker behind when the parent goes away.
  let stopped = false;
  const detachHooks = killOnExit(() => {
    if (stopped) return;
    stopped = true;
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
    try { removeDir(); } catch { /* best effort */ }
  }, handleSignals);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    detachHooks();
    await terminate(child, log);
    removeDir();
  };

  try {
    await Promise.race([
      waitUntilReady({ brokers, child, deadline: t0 + START_TIMEOUT_MS, describeFailure }),
      spawnError,
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  const startupMs = Date.now() - t0;
  log(`broker ${brokers} ready in ${(startupMs / 1000).toFixed(1)} s (format ${(formatMs / 1000).toFixed(1)} s), pid ${child.pid}, dir ${dir}`);
  // resolves when the broker process exits, for whatever reason (stop(), a crash, kill -9): a supervisor says so
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  return { brokers, port: brokerPort, dir, pid: child.pid, startupMs, stop, exited };
}

/**
 * Starts a fresh KRaft cluster of `nodes` combined broker+controller JVMs on loopback (static quorum of
 * all nodes, node ids 1…n) and waits until every broker is registered. Topics created with replication
 * factor -1 get RF min(3, n) and min.insync.replicas RF-1 (see serverProperties). Each node has its own
 * directory under one temp dir in .kafka/ (deleted by stop()); a node keeps its ports and data across
 * kill()/restart(), so a restart is the same broker coming back.
 *
 * @param {{ nodes?: number, log?: (msg: string) => void, handleSignals?: boolean, heapMb?: number }} [options]
 * @returns {Promise<{
 *   brokers: string, brokerList: string[], dir: string, startupMs: number,
 *   nodes: { id: number, port: number, controllerPort: number, dir: string }[],
 *   pid: (id: number) => number | undefined, isRunning: (id: number) => boolean,
 *   kill: (id: number, signal?: NodeJS.Signals) => Promise<void>,
 *   restart: (id: number) => Promise<number>, stop: () => Promise<void>,
 * }>}
 *   `kill(id, 'SIGKILL' | 'SIGTERM')` resolves once the JVM exited; SIGSTOP/SIGCONT only send the signal.
 *   `restart(id)` starts a stopped node again and resolves (with its startup ms) once the cluster lists it.
 */
export async function startCluster({ nodes = 3, log = noop, handleSignals = true, heapMb = 384 } = {}) {
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`nodes must be a positive integer, got ${nodes}`);
  const t0 = Date.now();
  const classpath = install({ log });
  mkdirSync(STATE_DIR, { recursive: true });
  removeStaleDirs(STATE_DIR, log);
  const dir = ownedTempDir('cluster-');
  const ports = await freePorts(nodes * 2);
  const specs = Array.from({ length: nodes }, (_, i) => {
    const nodeDir = join(dir, `node-${i + 1}`);
    mkdirSync(nodeDir, { recursive: true });
    return {
      id: i + 1, port: ports[2 * i], controllerPort: ports[2 * i + 1], dir: nodeDir,
      propsFile: join(nodeDir, 'server.properties'), logFile: join(nodeDir, 'server.log'), consoleFile: join(nodeDir, 'console.log'),
    };
  });
  const voters = specs.map((n) => `${n.id}@${HOST}:${n.controllerPort}`).join(',');
  const brokerList = specs.map((n) => `${HOST}:${n.port}`);
  const brokers = brokerList.join(',');
  const children = new Map();
  const describeFailure = () => specs.map((n) =>
    [`--- node ${n.id} ${n.logFile} ---`, tailFile(n.logFile, 10), `--- node ${n.id} ${n.consoleFile} ---`, tailFile(n.consoleFile, 10)].join('\n')).join('\n');
  let stopped = false;
  const killAll = () => {
    if (stopped) return;
    stopped = true;
    for (const c of children.values()) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  };
  const detachHooks = killOnExit(killAll, handleSignals);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    detachHooks();
    await Promise.all([...children.values()].map((c) => terminate(c, log)));
    rmSync(dir, { recursive: true, force: true });
  };
  const spawnNode = (n) => {
    const { child, spawnError } = spawnKafka({ classpath, propsFile: n.propsFile, logFile: n.logFile, consoleFile: n.consoleFile, heapMb });
    children.set(n.id, child);
    return { child, spawnError };
  };
  const nodeOf = (id) => {
    const n = specs.find((s) => s.id === id);
    if (n === undefined) throw new Error(`no node ${id} (nodes are 1…${nodes})`);
    return n;
  };

  try {
    const id = clusterId();
    await Promise.all(specs.map(async (n) => {
      writeFileSync(n.propsFile, serverProperties({ brokerPort: n.port, controllerPort: n.controllerPort, logDir: join(n.dir, 'data'), nodeId: n.id, voters }));
      const format = await runJava(
        ['-Xmx256m', ...jvmLoggingArgs(n.logFile), '-cp', classpath, 'kafka.tools.StorageTool',
          'format', `--cluster-id=${id}`, '--config', n.propsFile, '--ignore-formatted'],
        { outFile: n.consoleFile },
      );
      if (format.code !== 0) throw new Error(`kafka storage format of node ${n.id} failed (${format.code ?? format.signal})\n${describeFailure()}`);
    }));
    const spawned = specs.map(spawnNode);
    await Promise.race([
      waitUntilReady({
        brokers, children: spawned.map((s) => s.child), deadline: t0 + START_TIMEOUT_MS, describeFailure,
        isReady: (c) => c.brokers.length === nodes && c.controller !== null,
      }),
      ...spawned.map((s) => s.spawnError),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  const startupMs = Date.now() - t0;
  log(`cluster of ${nodes} ready in ${(startupMs / 1000).toFixed(1)} s: ${brokers} (pids ${[...children.values()].map((c) => c.pid).join(',')}), dir ${dir}`);

  const running = (id) => { const c = children.get(id); return c !== undefined && isRunning(c); };
  return {
    brokers, brokerList, dir, startupMs,
    nodes: specs.map(({ id, port, controllerPort, dir: d }) => ({ id, port, controllerPort, dir: d })),
    pid: (id) => (running(nodeOf(id).id) ? children.get(id).pid : undefined),
    isRunning: (id) => running(nodeOf(id).id),
    async kill(id, signal = 'SIGKILL') {
      const child = children.get(nodeOf(id).id);
      if (child === undefined || !isRunning(child)) return;
      if (signal === 'SIGTERM') return terminate(child, log);
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill(signal);
      if (signal === 'SIGKILL') await exited;
    },
    async restart(id) {
      const n = nodeOf(id);
      if (running(id)) throw new Error(`node ${id} is still running (pid ${children.get(id).pid})`);
      const started = Date.now();
      const { child, spawnError } = spawnNode(n);
      await Promise.race([
        waitUntilReady({
          brokers: brokerList[id - 1], child, deadline: started + START_TIMEOUT_MS, describeFailure,
          isReady: (c) => c.brokers.some((b) => b.nodeId === id) && c.controller !== null,
        }),
        spawnError,
      ]);
      log(`node ${id} back in ${((Date.now() - started) / 1000).toFixed(1)} s, pid ${child.pid}`);
      return Date.now() - started;
    },
    stop,
  };
}

/**
 * Sets a Kafka client quota (bytes/s a producer with `clientId` may write, on each broker) with Kafka's own
 * kafka.admin.ConfigCommand: the broker then delays that client's produce answers (KIP-219), which makes
 * Kafka the slower side of an overload test. Resolves once the command succeeded.
 *
 * @param {{ brokers: string, clientId: string, producerByteRate: number, log?: (msg: string) => void }} options
 */
export async function setClientQuota({ brokers, clientId, producerByteRate, log = noop }) {
  const classpath = install({ log });
  const outFile = join(STATE_DIR, `config-command-${process.pid}.log`);
  const res = await runJava(
    ['-Xmx128m', ...jvmLoggingArgs(outFile), '-cp', classpath, 'kafka.admin.ConfigCommand', '--bootstrap-server', brokers,
      '--alter', '--add-config', `producer_byte_rate=${producerByteRate}`, '--entity-type', 'clients', '--entity-name', clientId],
    { outFile },
  );
  const output = tailFile(outFile);
  rmSync(outFile, { force: true });
  if (res.code !== 0) throw new Error(`ConfigCommand failed (${res.code ?? res.signal}):\n${output}`);
}

/**
 * A random Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars), like Kafka's
 * Uuid. Like Kafka's Uuid.randomUuid(), never starting with '-' (argparse would read it as an option).
 */
function clusterId() {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** In a temp dir of .kafka/: the pid of the process that made it and deletes it when it stops or exits. */
const OWNER_PID_FILE = 'owner.pid';
/** Beside a broker's server.properties: the pid of its JVM (or of the command prefix that execs it). */
const BROKER_PID_FILE = 'broker.pid';

/**
 * Where a pid means this process table: the host and (Linux) the pid namespace. A checkout shared with a container
 * or another machine sees pids that are not its own: their directories are never judged from here.
 */
export function pidSpace() {
  let ns = '';
  try { ns = readlinkSync('/proc/self/ns/pid'); } catch { /* not Linux */ }
  return `${hostname()} ${ns}`.trim();
}

/** A new temp dir under .kafka/ named `prefix…`, with this process as its owner (removeStaleDirs). */
function ownedTempDir(prefix) {
  const dir = mkdtempSync(join(STATE_DIR, prefix));
  writeFileSync(join(dir, OWNER_PID_FILE), `${process.pid}\n${pidSpace()}\n`);
  return dir;
}

/**
 * Deletes the temp dirs (`broker-*`, `cluster-*`) under `stateDir` that nothing uses any more: their owner is gone
 * and so is every broker started in them. A process killed -9 (a `meshray stack`, a test run) cannot delete its
 * broker's directory, and each held that broker's topics: they piled up under .kafka/. A directory without an owner
 * file (made by an older version, or being made) is left alone, and so is one whose owner or a broker still runs.
 * @param {string} stateDir
 * @param {(msg: string) => void} [log]
 * @returns {string[]} the directories removed
 */
export function removeStaleDirs(stateDir, log = noop) {
  const removed = [];
  let names;
  try {
    names = readdirSync(stateDir).filter((name) => /^(broker|cluster)-/.test(name));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(stateDir, name);
    const owner = readPid(join(dir, OWNER_PID_FILE));
    if (owner === null || isAlive(owner) || ownerSpace(join(dir, OWNER_PID_FILE)) !== pidSpace()) continue;
    const brokerPidFiles = [join(dir, BROKER_PID_FILE), ...listDir(dir).filter((n) => n.startsWith('node-')).map((n) => join(dir, n, BROKER_PID_FILE))];
    if (brokerPidFiles.some((file) => { const pid = readPid(file); return pid !== null && isAlive(pid); })) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch { /* another process removed it, or cannot: left */ }
  }
  if (removed.length > 0) log(`removed ${removed.length} broker director${removed.length === 1 ? 'y' : 'ies'} left by processes killed before they could (${removed.map((d) => basename(d)).join(', ')})`);
  return removed;
}

/** The second line of an owner file: where its pid was read (pidSpace), or '' for a file without one. */
function ownerSpace(file) {
  try {
    return (readFileSync(file, 'utf8').split('\n')[1] ?? '').trim();
  } catch {
    return '';
  }
}

function listDir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function readDevPid() {
  return readPid(DEV_PID_FILE);
}

/**
 * Whether `pid` runs: kill(pid, 0) succeeds, or is refused (EPERM: another user's process). On Linux a zombie does
 * not run (its parent killed, no one may reap it soon).
 */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc, or hidden (hidepid): it answered kill(pid, 0)
  }
}

async function cliStart() {
  const running = readDevPid();
  if (running !== null && isAlive(running)) {
    console.error(`a dev broker is already running (pid ${running}); stop it with npm run kafka:stop`);
    process.exit(1);
  }
  const log = (m) => console.error(`[kafka] ${m}`);
  const port = (await isPortFree(DEV_PORT)) ? DEV_PORT : undefined;
  if (port === undefined) log(`port ${DEV_PORT} is busy, using a free port`);
  const broker = await startBroker({ log, handleSignals: false, ...(port === undefined ? {} : { port }) });
  writeFileSync(DEV_PID_FILE, `${process.pid}\n`);
  console.log(`KAFKA_BROKERS=${broker.brokers}`);
  log(`logs: ${join(broker.dir, 'server.log')}; Ctrl-C or npm run kafka:stop to stop`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await broker.stop();
    if (readDevPid() === process.pid) unlinkSync(DEV_PID_FILE);
    process.exit(0);
  };
  // Graceful stop on signals (startBroker's own signal hooks are off: they would SIGKILL).
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);
  // Keep the foreground process alive while the broker runs; exit if it dies on its own.
  setInterval(() => {
    if (!isAlive(broker.pid)) {
      log(`broker pid ${broker.pid} exited unexpectedly; see ${join(broker.dir, 'server.log')}`);
      if (readDevPid() === process.pid) unlinkSync(DEV_PID_FILE);
      process.exit(1);
    }
  }, 2000);
}

async function cliStop() {
  const pid = readDevPid();
  if (pid === null || !isAlive(pid)) {
    console.error('no dev broker running');
    rmSync(DEV_PID_FILE, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    console.error(`dev broker process ${pid} did not exit; kill it manually`);
    process.exit(1);
  }
  rmSync(DEV_PID_FILE, { force: true });
  console.error(`stopped dev broker (pid ${pid})`);
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const command = process.argv[2];
  try {
    if (command === 'install') install({ log: (m) => console.error(`[kafka] ${m}`) });
    else if (command === 'start') await cliStart();
    else if (command === 'stop') await cliStop();
    else {
      console.error('usage: node tools/kafka/kafka.mjs install|start|stop');
      process.exit(2);
    }
  } catch (e) {
    console.error(`[kafka] ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
