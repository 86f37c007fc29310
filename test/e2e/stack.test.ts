/**
 * The newcomer's path (issue 14 §1): `meshray stack --translators 2` on a machine without Docker starts its
 * own Kafka broker, the receiver, two translators and xray-local; `meshray demo` traffic reaches xray-local
 * through both translators; a healthy start logs nothing at warn or error; Ctrl-C leaves no process and no
 * port behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { REPO_ROOT, ServiceProcess, describeProcesses, isAlive } from './support/processes.ts';
import { nodeOptionsFor } from '../../services/cli/node-options.ts';
import { parentDeathPrefix } from '../../services/cli/commands/stack/parent-death.ts';
import { KAFKA_BROKERS } from './support/kafka.ts';
import { removeStaleDirs } from '../../tools/kafka/kafka.mjs';
import { scrapeMetric } from './support/metrics.ts';
import { freePort } from './support/ports.ts';
import { readEveryDocument, startXRayLocal, xrayClient } from '../support/xray-local.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The test's environment without node:test's marker, NODE_OPTIONS and KAFKA_BROKERS (the stack starts its own broker),
 * and without XRAY_ENDPOINT and AWS_* (a developer's shell would send the stack's spans there, to a real account).
 */
function newcomerEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'NODE_TEST_CONTEXT' && k !== 'KAFKA_BROKERS' && k !== 'NODE_OPTIONS' && k !== 'XRAY_ENDPOINT' && !k.startsWith('AWS_')) out[k] = v;
  }
  return out;
}

function cli(label: string, args: readonly string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', ...args], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  return new ServiceProcess(label, child);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A running process' NODE_OPTIONS (from /proc/<pid>/environ), or undefined when it has none. */
function nodeOptionsOf(pid: number): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('NODE_OPTIONS='));
  return entry?.slice('NODE_OPTIONS='.length);
}


/**
 * Whether `pid` runs: a zombie has stopped. A process whose parent died is adopted by whatever reaps orphans here
 * (PID 1 may be slow to, or never), so kill(pid, 0) alone would say it runs.
 */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pino lines (after the stack's `name | ` prefix) at warn (40) or above. */
function warnOrWorse(output: string): string[] {
  return output.split('\n').filter((line) => {
    const json = line.slice(line.indexOf('| ') + 2);
    if (!json.startsWith('{')) return false;
    try {
      return ((JSON.parse(json) as { level?: number }).level ?? 0) >= 40;
    } catch {
      return false;
    }
  });
}

test('meshray stack --translators 2: demo traffic reaches xray-local through both translators; Ctrl-C leaves nothing behind', { timeout: 300_000 }, async () => {
  const stack = cli('stack', ['stack', '--translators', '2'], newcomerEnv());
  try {
    const banner = await waitFor('the stack to print its endpoints', 180_000, () => {
      const out = stack.output();
      return out.includes('Ctrl-C stops everything.') || stack.exited ? out : undefined;
    }, { intervalMs: 250, describe: () => describeProcesses([stack]) });
    assert.equal(stack.exited, false, `the stack exited during start:\n${banner}`);

    const endpoint = (name: string): { port: number; pid: number } => {
      const m = new RegExp(`^  ${name}\\s+http://127\\.0\\.0\\.1:(\\d+)\\S*\\s+\\(pid (\\d+)`, 'm').exec(banner);
      assert.ok(m, `the banner names ${name}'s endpoint and pid:\n${banner}`);
      return { port: Number(m[1]), pid: Number(m[2]) };
    };
    const receiver = endpoint('receiver');
    const translators = [endpoint('translator-1'), endpoint('translator-2')];
    const xrayLocal = endpoint('xray-local');
    const kafka = /^ {2}kafka\s+127\.0\.0\.1:(\d+) \(pid (\d+), logs (\S+)\)/m.exec(banner);
    assert.ok(kafka, `the stack started its own broker:\n${banner}`);
    const [brokerPort, brokerPid, brokerLog] = [Number(kafka[1]), Number(kafka[2]), kafka[3] ?? ''];
    assert.match(banner, /^ {2}KAFKA_BROKERS=127\.0\.0\.1:\d+$/m);
    assert.match(banner, new RegExp(`^  XRAY_ENDPOINT=http://127\\.0\\.0\\.1:${xrayLocal.port}$`, 'm'));
    assert.match(banner, new RegExp(`^  TRANSLATOR_OPS_PORT=${translators[0]?.port},${translators[1]?.port}$`, 'm'));
    assert.equal(new Set([receiver.port, xrayLocal.port, ...translators.map((t) => t.port)]).size, 4, 'four distinct ports');
    // Each service runs with its default V8 options for the running Node (services/cli/node-options.ts).
    const receiverDefault = nodeOptionsFor('receiver', {}) ?? '';
    assert.match(receiverDefault, /^--max-semi-space-size=(16|32)$/);
    assert.match(banner, new RegExp(`^ {2}NODE_OPTIONS=receiver ${receiverDefault}, translators --max-semi-space-size=64$`, 'm'));
    assert.equal(nodeOptionsOf(receiver.pid), receiverDefault);
    for (const t of translators) assert.equal(nodeOptionsOf(t.pid), '--max-semi-space-size=64');
    assert.equal(nodeOptionsOf(xrayLocal.pid), undefined);

    // Demo traffic, as a newcomer sends it.
    const demo = cli('demo', ['demo', '--target', `http://127.0.0.1:${receiver.port}`, '--requests', '40', '--rate', 'max', '--json', '--quiet'], newcomerEnv());
    const demoExit = await demo.waitExit(60_000);
    assert.deepEqual(demoExit, { code: 0, signal: null }, demo.output());
    const summary = JSON.parse(demo.output().trim().split('\n').pop() ?? '{}') as { requests: number; spansAccepted: number; spansSent: number };
    assert.equal(summary.requests, 40);
    assert.equal(summary.spansAccepted, summary.spansSent);

    // Every span committed, by both translators between them, each having exported to xray-local.
    // span-list records carry several spans each: count spans, not records
    const records = (t: { port: number }) => scrapeMetric(`http://127.0.0.1:${t.port}/metrics`, 'meshray_translator_spans_translated_total');
    await waitFor('every span committed by the translators', 60_000, async () =>
      (await records(translators[0]!)) + (await records(translators[1]!)) >= summary.spansAccepted, { describe: () => describeProcesses([stack]) });
    for (const t of translators) {
      assert.ok((await records(t)) > 0, `translator on :${t.port} committed records (it got partitions)`);
      const ok = await fetch(`http://127.0.0.1:${t.port}/metrics`).then((r) => r.text());
      assert.match(ok, /^meshray_translator_put_calls_total\{outcome="ok"\} [1-9]/m, `translator on :${t.port} exported to xray-local`);
    }
    const client = xrayClient(`http://127.0.0.1:${xrayLocal.port}`);
    const documents = await readEveryDocument(client);
    assert.equal(new Set(documents.map((d) => d.traceId)).size, 40, 'one trace per demo request in xray-local');
    client.destroy();

    assert.deepEqual(warnOrWorse(stack.output()), [], 'a healthy stack logs nothing at warn or error');
    assert.deepEqual(stack.output().split('\n').filter((l) => /\(node:\d+\) \w*Warning/.test(l)), [], 'and Node prints no process warning');

    // Ctrl-C: SIGINT to the stack's process group, as a terminal sends it.
    stack.signal('SIGINT');
    const exit = await stack.waitExit(120_000);
    assert.deepEqual(exit, { code: 0, signal: null }, stack.output().slice(-4000));
    for (const [name, pid] of [['receiver', receiver.pid], ['xray-local', xrayLocal.pid], ['broker', brokerPid], ...translators.map((t, i) => [`translator-${i + 1}`, t.pid] as const)] as const) {
      assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
    }
    for (const port of [receiver.port, xrayLocal.port, brokerPort, ...translators.map((t) => t.port)]) {
      assert.equal(await portIsFree(port), true, `port ${port} is free again`);
    }
    assert.equal(existsSync(dirname(brokerLog)), false, 'the broker\'s data directory is removed');
  } finally {
    await stack.stop(60_000);
  }
});

test('meshray stack with Redis unreachable: one line naming REDIS_URL, exit 1, nothing started', { timeout: 60_000 }, async () => {
  const redisPort = await freePort();
  const stack = cli('stack', ['stack'], { ...newcomerEnv(), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  try {
    assert.deepEqual(await stack.waitExit(45_000), { code: 1, signal: null }, stack.output());
    assert.equal(stack.output(), `meshray stack: Redis at redis://127.0.0.1:${redisPort} (REDIS_URL) does not answer: connect ECONNREFUSED 127.0.0.1:${redisPort}; start Redis, set REDIS_URL, or use --no-redis\n`);
  } finally {
    await stack.stop();
  }
});

test('meshray stack with KAFKA_BROKERS unreachable, or not Kafka: one line naming KAFKA_BROKERS and the cause, exit 1, nothing started (it waited 120 s for the services)', { timeout: 60_000 }, async () => {
  const closed = await freePort();
  const refused = cli('stack', ['stack', '--no-redis'], { ...newcomerEnv(), KAFKA_BROKERS: `127.0.0.1:${closed}` });
  try {
    assert.deepEqual(await refused.waitExit(45_000), { code: 1, signal: null }, refused.output());
    assert.equal(refused.output(), `meshray stack: Kafka at 127.0.0.1:${closed} (KAFKA_BROKERS) does not answer as Kafka: Connection error: connect ECONNREFUSED 127.0.0.1:${closed}; start it, correct KAFKA_BROKERS, or unset it for a broker of the stack's own\n`);
  } finally {
    await refused.stop();
  }
  // Something that accepts the connection but is not Kafka: a server that reads and never answers.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => { sockets.add(socket); socket.on('error', () => undefined); });
  await new Promise<void>((resolve) => { silent.listen(0, '127.0.0.1', resolve); });
  const port = (silent.address() as AddressInfo).port;
  const notKafka = cli('stack', ['stack', '--no-redis'], { ...newcomerEnv(), KAFKA_BROKERS: `127.0.0.1:${port}` });
  try {
    assert.deepEqual(await notKafka.waitExit(45_000), { code: 1, signal: null }, notKafka.output());
    assert.match(notKafka.output(), new RegExp(`^meshray stack: Kafka at 127\\.0\\.0\\.1:${port} \\(KAFKA_BROKERS\\) does not answer as Kafka: Request ApiVersions\\(key: 18, version: \\d\\) timed out; start it, correct KAFKA_BROKERS, or unset it for a broker of the stack's own\n$`));
  } finally {
    await notKafka.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => { silent.close(() => resolve()); });
  }
});

test('meshray stack on an existing broker (KAFKA_BROKERS) with --no-redis, 9411 busy: the banner says where the receiver went, and demo without --target posts there (it posted to :9411); one translator exports; capture without --brokers reads its topic; its terminal closed (SIGHUP, output gone) stops it all (the broker and services ran on, orphaned)', { timeout: 180_000 }, async () => {
  const tag = `e2e-stack-${process.pid}-${Date.now()}`;
  // Another program on the receiver's usual port (held here unless something already holds it): it never answers.
  const busy = createServer();
  await new Promise<void>((resolve) => { busy.once('error', () => resolve()); busy.listen({ port: 9411 }, resolve); });
  // Where the stack announces its receiver to send and demo: this test's own, so that no other stack is found.
  const runtimeDir = mkdtempSync(join(tmpdir(), 'meshray-e2e-runtime-'));
  const stack = cli('stack', ['stack', '--translators', '1', '--no-redis'], {
    ...newcomerEnv(), KAFKA_BROKERS, SPANS_TOPIC: `${tag}-spans`, DLQ_TOPIC: `${tag}-dlq`, TRANSLATOR_GROUP_ID: `${tag}-translators`, MESHRAY_RUNTIME_DIR: runtimeDir,
  });
  try {
    const banner = await waitFor('the stack to print its endpoints', 120_000, () => {
      const out = stack.output();
      return out.includes('Ctrl-C stops everything.') || stack.exited ? out : undefined;
    }, { intervalMs: 250 });
    assert.equal(stack.exited, false, banner);
    assert.match(banner, new RegExp(`^ {2}kafka\\s+${KAFKA_BROKERS.replaceAll('.', '\\.')} \\(KAFKA_BROKERS\\)$`, 'm'));
    assert.match(banner, /^ {2}redis\s+off \(--no-redis\)$/m);
    const receiverPort = Number(/^ {2}receiver\s+http:\/\/127\.0\.0\.1:(\d+)/m.exec(banner)?.[1]);
    const opsPort = Number(/^ {2}translator-1\s+http:\/\/127\.0\.0\.1:(\d+)/m.exec(banner)?.[1]);
    assert.notEqual(receiverPort, 9411);
    assert.match(banner, new RegExp(`^note: port 9411 is in use \\(another program\\?\\): RECEIVER_PORT is ${receiverPort} instead; set RECEIVER_PORT to choose$`, 'm'));
    const demo = cli('demo', ['demo', '--requests', '5', '--rate', 'max', '--json', '--quiet'], { ...newcomerEnv(), MESHRAY_RUNTIME_DIR: runtimeDir });
    assert.deepEqual(await demo.waitExit(60_000), { code: 0, signal: null }, demo.output());
    assert.match(demo.output(), new RegExp(`^meshray demo: posting to the receiver of meshray stack \\(pid ${stack.pid}\\) at http://127\\.0\\.0\\.1:${receiverPort}; --target chooses another$`, 'm'));
    const { spansAccepted, target } = JSON.parse(demo.output().trim().split('\n').pop() ?? '{}') as { spansAccepted: number; target: string };
    assert.equal(target, `http://127.0.0.1:${receiverPort}`);
    assert.ok(spansAccepted > 0, demo.output());
    await waitFor('every span committed', 60_000, async () =>
      (await scrapeMetric(`http://127.0.0.1:${opsPort}/metrics`, 'meshray_translator_spans_translated_total')) >= spansAccepted);
    // capture without --brokers reads the stack's Kafka and its topic (it wanted KAFKA_BROKERS: a newcomer trial)
    const captured = join(tmpdir(), `${tag}.ndjson`);
    try {
      const capture = cli('capture', ['capture', '--all', '--format', 'ndjson', '--output', captured], { ...newcomerEnv(), MESHRAY_RUNTIME_DIR: runtimeDir });
      assert.deepEqual(await capture.waitExit(60_000), { code: 0, signal: null }, capture.output());
      assert.match(capture.output(), new RegExp(`^meshray capture: note: reading the Kafka of meshray stack \\(pid ${stack.pid}\\) at ${KAFKA_BROKERS.replaceAll('.', '\\.')}; --brokers chooses another$`, 'm'));
      assert.equal(readFileSync(captured, 'utf8').split('\n').filter((line) => line !== '').length, spansAccepted);
    } finally {
      rmSync(captured, { force: true });
    }
    // The terminal closes: nothing reads the stack's output any more, and its process group gets SIGHUP (the services
    // are in process groups of their own, so only the stack can stop them).
    const before = stack.output();
    stack.child.stdout?.destroy();
    stack.child.stderr?.destroy();
    stack.signal('SIGHUP');
    assert.deepEqual(await stack.waitExit(90_000), { code: 0, signal: null }, before.slice(-3000));
    assert.equal(await portIsFree(receiverPort), true, 'the receiver stopped');
    assert.equal(await portIsFree(opsPort), true, 'the translator stopped');
    assert.deepEqual(readdirSync(runtimeDir), [], 'the stack took its receiver back from the runtime directory');
  } finally {
    await stack.stop(60_000);
    await new Promise<void>((resolve) => { busy.close(() => resolve()); });
    rmSync(runtimeDir, { recursive: true, force: true });
  }
});

test('meshray stack in a terminal whose launcher (npm, npx, a script) is killed alone stops every service, leaving no port behind (they ran on, unsupervised)', { timeout: 180_000 }, async () => {
  const tag = `e2e-stack-parent-${process.pid}-${Date.now()}`;
  // A terminal (util-linux script: a pty), a shell in it that stays (`read`: the terminal stays open, no SIGHUP), and
  // the launcher: a shell that does not pass signals on and is not replaced by the stack (`; exit`: no exec), as
  // npm's `sh -c`. The stack watches its parent only with a terminal on stdin (a script's `… &` outlives its shell).
  const stackCommand = `"${process.execPath}" --import tsx services/cli/main.ts stack --translators 1 --no-redis; exit $?`;
  const terminal = new ServiceProcess('terminal', spawn('script', ['-qfec', `sh -c '${stackCommand}'; read x`, '/dev/null'], {
    cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
    env: { ...newcomerEnv(), SHELL: '/bin/sh', KAFKA_BROKERS, SPANS_TOPIC: `${tag}-spans`, DLQ_TOPIC: `${tag}-dlq`, TRANSLATOR_GROUP_ID: `${tag}-translators` },
  }));
  const childrenOf = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const descendants = (pid: number): number[] => childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
  let stackPid = 0;
  try {
    const banner = await waitFor('the stack to print its endpoints', 120_000, () => {
      const out = terminal.output();
      return out.includes('Ctrl-C stops everything.') || terminal.exited ? out : undefined;
    }, { intervalMs: 250 });
    assert.equal(terminal.exited, false, banner);
    // script → the terminal's shell → the launcher → the stack
    const [shell] = childrenOf(terminal.pid);
    const [launcherPid] = childrenOf(shell ?? 0);
    stackPid = childrenOf(launcherPid ?? 0)[0] ?? 0;
    assert.ok(launcherPid !== undefined && stackPid > 0 && running(stackPid), `the stack runs under its launcher: ${descendants(terminal.pid).join(' ')}`);
    const ports = [...banner.matchAll(/^ {2}(?:receiver|translator-1|xray-local)\s+http:\/\/127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(ports.length, 3, banner);
    process.kill(launcherPid, 'SIGKILL'); // the launcher alone: the stack is not signalled, its terminal stays
    await waitFor('the stack to stop once its launcher is gone', 90_000, () => !running(stackPid), { intervalMs: 250, describe: () => terminal.output().slice(-2000) });
    assert.match(terminal.output(), new RegExp(`^meshray stack: the program that started meshray stack \\(pid ${launcherPid}\\) exited: stopping every service\\r?$`, 'm'));
    for (const port of ports) assert.equal(await portIsFree(port), true, `port ${port} is free again`);
  } finally {
    if (stackPid > 0 && running(stackPid)) process.kill(stackPid, 'SIGTERM');
    if (stackPid > 0) await waitFor('the stack to stop', 60_000, () => !running(stackPid), { intervalMs: 250 }).catch(() => undefined);
    await terminal.stop(10_000);
  }
});

test('meshray stack killed -9 itself: its broker and services get SIGTERM from the kernel and stop, leaving no port behind', {
  timeout: 240_000, skip: parentDeathPrefix(process.env['PATH']).length === 0 ? 'no setpriv with --pdeathsig on PATH: the stack cannot give its children a parent-death signal' : false,
}, async () => {
  const stack = cli('stack', ['stack', '--translators', '1', '--no-redis'], newcomerEnv());
  let brokerDir: string | undefined;
  const children: { name: string; port: number; pid: number }[] = [];
  try {
    const banner = await waitFor('the stack to print its endpoints', 180_000, () => {
      const out = stack.output();
      return out.includes('Ctrl-C stops everything.') || stack.exited ? out : undefined;
    }, { intervalMs: 250 });
    assert.equal(stack.exited, false, banner);
    children.push(...[...banner.matchAll(/^ {2}(receiver|translator-1|xray-local)\s+http:\/\/127\.0\.0\.1:(\d+)\S*\s+\(pid (\d+)/gm)]
      .map((m) => ({ name: m[1] ?? '', port: Number(m[2]), pid: Number(m[3]) })));
    const kafka = /^ {2}kafka\s+127\.0\.0\.1:(\d+) \(pid (\d+), logs (\S+)\)/m.exec(banner);
    assert.ok(kafka && children.length === 3, banner);
    brokerDir = dirname(kafka[3] ?? '');
    children.push({ name: 'broker', port: Number(kafka[1]), pid: Number(kafka[2]) });
    for (const c of children) assert.ok(running(c.pid), `${c.name} runs`);
    process.kill(stack.pid, 'SIGKILL'); // the stack alone: it can stop nothing
    await waitFor('every child of the killed stack to stop', 120_000, () => children.every((c) => !running(c.pid)), {
      intervalMs: 250, describe: () => children.filter((c) => running(c.pid)).map((c) => `${c.name} (pid ${c.pid}) still runs`).join(', '),
    });
    for (const c of children) assert.equal(await portIsFree(c.port), true, `${c.name}'s port ${c.port} is free again`);
    // The killed stack could not delete its broker's directory: the next broker started here does (tools/kafka).
    assert.ok(existsSync(brokerDir), brokerDir);
    assert.ok(removeStaleDirs(dirname(brokerDir)).includes(brokerDir), `${brokerDir} is found stale`);
    assert.equal(existsSync(brokerDir), false);
  } finally {
    await stack.stop(60_000);
    for (const c of children) if (running(c.pid)) process.kill(c.pid, 'SIGKILL'); // a failed run leaves no orphan
    if (brokerDir !== undefined) rmSync(brokerDir, { recursive: true, force: true }); // a failed run leaves none
  }
});

test('meshray stack whose own broker is killed says so in one line and stops the stack, exit 1 (a newcomer saw only kafkajs stack traces in the services\' logs)', { timeout: 240_000 }, async () => {
  const stack = cli('stack', ['stack', '--translators', '1', '--no-redis'], newcomerEnv());
  try {
    const banner = await waitFor('the stack to print its endpoints', 180_000, () => {
      const out = stack.output();
      return out.includes('Ctrl-C stops everything.') || stack.exited ? out : undefined;
    }, { intervalMs: 250, describe: () => describeProcesses([stack]) });
    assert.equal(stack.exited, false, banner);
    const brokerPid = Number(/^ {2}kafka\s+127\.0\.0\.1:\d+ \(pid (\d+),/m.exec(banner)?.[1]);
    assert.ok(brokerPid > 0, banner);
    process.kill(brokerPid, 'SIGKILL');
    assert.deepEqual(await stack.waitExit(120_000), { code: 1, signal: null }, stack.output().slice(-3000));
    assert.match(stack.output(), new RegExp(`^meshray stack: kafka \\(pid ${brokerPid}\\) exited \\(signal SIGKILL\\); stopping the stack$`, 'm'));
  } finally {
    await stack.stop(60_000);
  }
});

test('meshray stack interrupted (Ctrl-C) while its broker\'s storage is formatted stops quietly, exit 0, nothing left (it said "the Kafka broker did not start: kafka storage format failed (130)")', { timeout: 120_000 }, async () => {
  const stack = cli('stack', ['stack', '--translators', '1', '--no-redis'], newcomerEnv());
  const commandOf = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; } };
  const childrenOf = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  try {
    // Ctrl-C reaches the terminal's foreground process group: the stack and the storage tool it runs.
    const formatter = await waitFor('the stack to format its broker\'s storage', 90_000, () => (
      childrenOf(stack.pid).find((pid) => commandOf(pid).includes('kafka.tools.StorageTool')) ?? (stack.exited ? -1 : undefined)
    ), { intervalMs: 50, describe: () => stack.output().slice(-2000) });
    assert.ok(formatter > 0, stack.output());
    process.kill(-stack.pid, 'SIGINT');
    assert.deepEqual(await stack.waitExit(60_000), { code: 0, signal: null }, stack.output().slice(-3000));
    const said = stack.output().split('\n').filter((line) => line.startsWith('meshray stack: '));
    assert.deepEqual(said.filter((line) => /did not start|failed/.test(line)), [], stack.output().slice(-3000));
    assert.match(said.at(-1) ?? '', /^meshray stack: stopped$/, stack.output().slice(-3000));
    assert.equal(running(formatter), false, 'the storage tool is gone');
  } finally {
    await stack.stop(30_000);
  }
});

test('meshray stack with XRAY_ENDPOINT exports there and starts no xray-local (it put its own in place without a word); Ctrl-C right after a demo waits for the translators to commit what its own broker holds (it deleted those spans with the broker): both found by a newcomer trial', { timeout: 240_000 }, async () => {
  const theirs = await startXRayLocal();
  const stack = cli('stack', ['stack', '--translators', '1', '--no-redis'], { ...newcomerEnv(), XRAY_ENDPOINT: theirs.endpoint });
  try {
    const banner = await waitFor('the stack to print its endpoints', 180_000, () => {
      const out = stack.output();
      return out.includes('Ctrl-C stops everything.') || stack.exited ? out : undefined;
    }, { intervalMs: 250 });
    assert.equal(stack.exited, false, banner);
    const endpoint = theirs.endpoint.replaceAll('.', '\\.');
    assert.match(banner, new RegExp(`^meshray stack: warning: exporting to ${endpoint} \\(XRAY_ENDPOINT\\), not to the embedded xray-local`, 'm'));
    assert.match(banner, new RegExp(`^ {2}export {7}${endpoint} \\(XRAY_ENDPOINT\\); xray-local not started$`, 'm'));
    assert.doesNotMatch(banner, /^ {2}xray-local /m);
    assert.match(banner, new RegExp(`^ {2}XRAY_ENDPOINT=${endpoint}$`, 'm'));
    const receiverPort = Number(/^ {2}receiver\s+http:\/\/127\.0\.0\.1:(\d+)/m.exec(banner)?.[1]);
    const demo = cli('demo', ['demo', '--target', `http://127.0.0.1:${receiverPort}`, '--requests', '5', '--rate', 'max', '--json', '--quiet'], newcomerEnv());
    assert.deepEqual(await demo.waitExit(60_000), { code: 0, signal: null }, demo.output());
    const { spansAccepted } = JSON.parse(demo.output().trim().split('\n').pop() ?? '{}') as { spansAccepted: number };
    assert.ok(spansAccepted > 0, demo.output());
    // At once: the demo's spans are in the broker, most still in the translator's assembly window (ASSEMBLY_IDLE).
    stack.signal('SIGINT');
    assert.deepEqual(await stack.waitExit(90_000), { code: 0, signal: null }, stack.output().slice(-3000));
    assert.doesNotMatch(stack.output(), /were not committed by the translators/);
    const documents = await readEveryDocument(theirs.client);
    assert.equal(new Set(documents.map((d) => d.traceId)).size, 5, `one trace per demo request reached the given X-Ray before the broker was deleted\n${stack.output().slice(-3000)}`);
  } finally {
    await stack.stop(60_000);
    await theirs.close();
  }
});
