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
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync,
  unlinkSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
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
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
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

function serverProperties({ brokerPort, controllerPort, logDir }) {
  return [
    '# Written by tools/kafka/kafka.mjs: single-node KRaft broker+controller for dev/tests.',
    'process.roles=broker,controller',
    'node.id=1',
    // Kafka 4.x dynamic quorum (KIP-853): bootstrap servers + `storage format --standalone`.
    `controller.quorum.bootstrap.servers=${HOST}:${controllerPort}`,
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
    'offsets.topic.replication.factor=1',
    // Few internal partitions: the first group join / idempotent producer waits for these to load.
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
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

/** Resolves when a kafkajs admin can connect and describeCluster answers; rejects when the JVM dies. */
async function waitUntilReady({ brokers, child, deadline, describeFailure }) {
  let exited = null;
  const onExit = (code, signal) => { exited = { code, signal }; };
  child.once('exit', onExit);
  let lastError = 'no attempt made';
  try {
    while (Date.now() < deadline) {
      if (exited) throw new Error(`Kafka exited during startup (${exited.code ?? exited.signal})\n${describeFailure()}`);
      const kafka = new kafkajs.Kafka({
        clientId: 'meshray-kafka-readiness',
        brokers: [brokers],
        logLevel: kafkajs.logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 },
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length > 0 && cluster.controller !== null) return cluster;
        lastError = 'cluster has no broker/controller yet';
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
    child.off('exit', onExit);
  }
}

/**
 * Starts a fresh single-node Kafka broker on loopback and waits until a kafkajs admin can describe
 * the cluster. The broker's directory (config, data, server.log) is a new temp dir under .kafka/
 * unless `dataDir` is given; stop() deletes the temp dir (a caller-provided dataDir is kept).
 *
 * The broker is SIGKILLed if this process exits; on SIGINT/SIGTERM/SIGHUP too, unless
 * `handleSignals: false` (the caller then stops it itself, like the `start` CLI does).
 *
 * @param {{ log?: (msg: string) => void, dataDir?: string, port?: number, handleSignals?: boolean, detached?: boolean }} [options]
 *   `port`: broker port to use (must be free); default: a free port picked by the OS.
 *   `detached`: run the JVM in its own process group, so a terminal's Ctrl-C reaches only the caller,
 *   which then stops the broker last (`meshray stack` stops the services first). Default false.
 * @returns {Promise<{ brokers: string, port: number, dir: string, pid: number, startupMs: number, stop: () => Promise<void> }>}
 */
export async function startBroker({ log = noop, dataDir, port, handleSignals = true, detached = false } = {}) {
  const t0 = Date.now();
  const classpath = install({ log });
  mkdirSync(STATE_DIR, { recursive: true });
  const ownsDir = dataDir === undefined;
  const dir = ownsDir ? mkdtempSync(join(STATE_DIR, 'broker-')) : resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const removeDir = () => { if (ownsDir) rmSync(dir, { recursive: true, force: true }); };

  const [brokerPort, controllerPort] = await (async () => {
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
  writeFileSync(propsFile, serverProperties({ brokerPort, controllerPort, logDir: join(dir, 'data') }));
  const describeFailure = () =>
    [`--- ${logFile} (last lines) ---`, tailFile(logFile), `--- ${consoleFile} (last lines) ---`, tailFile(consoleFile)]
      .join('\n');

  // Kafka 4.x: storage must be formatted before first start; --standalone makes this node the
  // single voter of a dynamic controller quorum (pairs with controller.quorum.bootstrap.servers).
  const format = await runJava(
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

  const fd = openSync(consoleFile, 'a');
  const child = spawn(
    javaBin(),
    ['-Xmx512m', '-Xms128m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvmLoggingArgs(logFile),
      '-cp', classpath, 'kafka.Kafka', propsFile],
    { stdio: ['ignore', fd, fd], detached },
  );
  closeSync(fd);
  const spawnError = new Promise((_, ko) => child.once('error', (e) =>
    ko(new Error(`cannot run ${javaBin()} (need a JDK 17+, or set JAVA_HOME): ${e.message}`))));
  spawnError.catch(noop);

  // Never leave a broker behind when the parent goes away.
  let stopped = false;
  const killNow = () => {
    if (stopped) return;
    stopped = true;
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
    try { removeDir(); } catch { /* best effort */ }
  };
  const onSignal = (signal) => {
    killNow();
    // Keep the default behaviour (die by the signal) unless the host installed its own handler.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals = handleSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : [];
  process.on('exit', killNow);
  for (const s of signals) process.once(s, onSignal);
  const detachHooks = () => {
    process.off('exit', killNow);
    for (const s of signals) process.off(s, onSignal);
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    detachHooks();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout');
      if ((await Promise.race([exited, timer])) === 'timeout') {
        log(`broker did not stop within ${STOP_TIMEOUT_MS / 1000} s, killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    }
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
  return { brokers, port: brokerPort, dir, pid: child.pid, startupMs, stop };
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

function readDevPid() {
  try {
    const pid = Number(readFileSync(DEV_PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
