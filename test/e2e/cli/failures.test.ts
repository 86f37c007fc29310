/**
 * Failures in one line (issue 14 §3): a busy port names its variable and the port, exits 1, no stack
 * trace; an unreachable Kafka gives one line with the brokers and the cause, readiness false, retries
 * with backoff and recovers when Kafka answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { REPO_ROOT, ServiceProcess } from '../support/processes.ts';
import { createTopic, KAFKA_BROKERS, testKafka, uniqueNames } from '../support/kafka.ts';
import { ensureTopics } from '../../../shared/edge/kafka/topics.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

function cli(label: string, command: string, env: Record<string, string>): ServiceProcess {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT') base[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', command], {
    cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  return new ServiceProcess(label, child);
}

/** Holds `port` on all interfaces, as another program would. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen({ port }, resolve); });
  return { port, server };
}

/** Output lines that are pino JSON at warn (40) or above, or anything that looks like a stack frame. */
function problems(output: string): { loud: string[]; stackFrames: string[] } {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return {
    loud: lines.filter((l) => { try { return ((JSON.parse(l) as { level?: number }).level ?? 0) >= 40; } catch { return false; } }),
    stackFrames: lines.filter((l) => /^\s+at /.test(l) || /\\n\s+at /.test(l)),
  };
}

// Each service listens on all interfaces here (its host variable set), where the port is held.
const busyPortCases = [
  { command: 'receiver', variable: 'RECEIVER_PORT', env: { KAFKA_BROKERS, RECEIVER_HOST: '0.0.0.0' } },
  { command: 'translator', variable: 'TRANSLATOR_OPS_PORT', env: { KAFKA_BROKERS, XRAY_ENDPOINT: 'http://127.0.0.1:1', OPS_HOST: '0.0.0.0' } },
  { command: 'xray-local', variable: 'XRAY_LOCAL_PORT', env: { XRAY_LOCAL_HOST: '0.0.0.0' } },
];

for (const c of busyPortCases) {
  test(`meshray ${c.command} on a busy ${c.variable}: one line naming it, exit 1, no stack trace`, { timeout: 60_000 }, async () => {
    const { port, server } = await occupy();
    const proc = cli(c.command, c.command, { ...c.env, [c.variable]: String(port) });
    try {
      const exit = await proc.waitExit(45_000);
      assert.deepEqual(exit, { code: 1, signal: null }, proc.output());
      const stderr = proc.output().split('\n').filter((l) => l.startsWith('meshray '));
      assert.deepEqual(stderr, [`meshray ${c.command}: ${c.variable}=${port}: port ${port} on 0.0.0.0 is already in use; set ${c.variable} to a free port`]);
      assert.deepEqual(problems(proc.output()), { loud: [], stackFrames: [] }, proc.output());
    } finally {
      await proc.stop();
      server.close();
    }
  });
}

/** A TCP relay on `port` to the real broker, started late: Kafka "comes back" at the address the service was given. */
async function relayToBroker(port: number): Promise<{ close(): Promise<void> }> {
  const [host, brokerPort] = (KAFKA_BROKERS.split(',')[0] ?? '').split(':');
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: host ?? '127.0.0.1', port: Number(brokerPort) });
    for (const s of [client, upstream]) { sockets.add(s); s.on('error', () => { client.destroy(); upstream.destroy(); }); s.on('close', () => sockets.delete(s)); }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen({ port, host: '127.0.0.1' }, resolve); });
  return {
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('meshray receiver with Kafka unreachable: one warn line with brokers and cause, not ready, then ready once Kafka answers', { timeout: 120_000 }, async () => {
  const kafkaPort = await freePort(); // nothing listens here yet
  const receiverPort = await freePort();
  const brokers = `127.0.0.1:${kafkaPort}`;
  const proc = cli('receiver', 'receiver', {
    KAFKA_BROKERS: brokers, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
    SPANS_TOPIC: `e2e-unreachable-${receiverPort}`, LOG_LEVEL: 'info',
  });
  let relay: { close(): Promise<void> } | undefined;
  try {
    const url = `http://127.0.0.1:${receiverPort}`;
    await waitFor('the Kafka warning', 45_000, () => {
      if (proc.exited) throw new Error(`receiver exited: ${proc.output()}`);
      return problems(proc.output()).loud.length > 0;
    });
    const { loud, stackFrames } = problems(proc.output());
    assert.equal(loud.length, 1, proc.output());
    assert.deepEqual(stackFrames, []);
    const line = JSON.parse(loud[0] ?? '{}') as { level: number; msg: string; brokers: string };
    assert.equal(line.level, 40);
    assert.equal(line.brokers, brokers);
    assert.match(line.msg, new RegExp(`^Kafka unreachable at ${brokers} \\(span topic [^)]+\\): Connection error: connect ECONNREFUSED ${brokers}; retrying with backoff$`));

    const ready = await fetch(`${url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'unavailable', reason: `Kafka unreachable at ${brokers}: Connection error: connect ECONNREFUSED ${brokers}` });
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
    // Spans sent meanwhile are refused at once (not held for ACK_TIMEOUT, then queued again by each retry).
    const post = await fetch(`${url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ traceId: '463ac35c9f6413ad48485a3953bb6124', id: 'a2fb4a1d1a96d312', name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 'x' } }]) });
    assert.equal(post.status, 503);
    assert.equal(post.headers.get('retry-after'), '1');
    assert.deepEqual(await post.json(), { error: 'NOT_READY', message: 'Kafka has not answered since the receiver started: the span topic is not ready yet' });

    // Kafka answers at that address now: the retries (with backoff) find it, the receiver becomes ready.
    relay = await relayToBroker(kafkaPort);
    await waitFor('the receiver to become ready', 60_000, async () => (await fetch(`${url}/health/ready`)).ok, { describe: () => proc.output().slice(-2000) });
    // The line and the HTTP answer come over different pipes: wait for the line rather than race it.
    await waitFor('the "Kafka answers" line', 30_000, () => /"msg":"Kafka answers: span topic [^"]+ ready"/.test(proc.output()), { describe: () => proc.output().slice(-2000) });
    assert.equal(problems(proc.output()).loud.length, 1, 'still the one warn line');

    proc.signal('SIGTERM');
    assert.deepEqual(await proc.waitExit(30_000), { code: 0, signal: null });
  } finally {
    await proc.stop();
    await relay?.close();
  }
});

test('meshray translator with Kafka unreachable: one warn line with brokers and cause, not ready, no crash; SIGTERM meanwhile exits 0', { timeout: 60_000 }, async () => {
  const kafkaPort = await freePort();
  const opsPort = await freePort();
  const brokers = `127.0.0.1:${kafkaPort}`;
  const proc = cli('translator', 'translator', {
    KAFKA_BROKERS: brokers, TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', XRAY_ENDPOINT: 'http://127.0.0.1:1', LOG_LEVEL: 'info',
  });
  try {
    await waitFor('the Kafka warning', 45_000, () => {
      if (proc.exited) throw new Error(`translator exited: ${proc.output()}`);
      return problems(proc.output()).loud.length > 0;
    });
    const { loud, stackFrames } = problems(proc.output());
    assert.equal(loud.length, 1, proc.output());
    assert.deepEqual(stackFrames, []);
    assert.match((JSON.parse(loud[0] ?? '{}') as { msg: string }).msg, new RegExp(`^Kafka unreachable at ${brokers} \\(dead-letter topic [^)]+\\): Connection error: connect ECONNREFUSED ${brokers}; retrying with backoff$`));
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}/health/ready`)).status, 503);
    assert.equal(proc.exited, false, 'the translator keeps retrying');
    proc.signal('SIGTERM');
    assert.deepEqual(await proc.waitExit(15_000), { code: 0, signal: null }, 'a signal while waiting for Kafka ends it cleanly');
    assert.match(proc.output(), /^meshray translator: SIGTERM before the translator started: exiting$/m);
  } finally {
    await proc.stop();
  }
});

test('meshray translator started before its span topic exists: one warn line naming it, not ready, no topic created; it consumes once the topic is there', { timeout: 120_000 }, async () => {
  const opsPort = await freePort();
  const names = uniqueNames('topic-first');
  const kafka = testKafka('e2e-topic-first');
  const proc = cli('translator', 'translator', {
    KAFKA_BROKERS, TRANSLATOR_OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', XRAY_ENDPOINT: 'http://127.0.0.1:1', LOG_LEVEL: 'info',
    SPANS_TOPIC: names.spansTopic, DLQ_TOPIC: names.dlqTopic, TRANSLATOR_GROUP_ID: names.groupId,
  });
  const url = `http://127.0.0.1:${opsPort}`;
  try {
    await waitFor('the span topic warning', 45_000, () => {
      if (proc.exited) throw new Error(`translator exited: ${proc.output()}`);
      return problems(proc.output()).loud.length > 0;
    });
    const { loud, stackFrames } = problems(proc.output());
    assert.equal(loud.length, 1, proc.output());
    assert.deepEqual(stackFrames, []);
    assert.equal((JSON.parse(loud[0] ?? '{}') as { msg: string }).msg,
      `Kafka at ${KAFKA_BROKERS} answers, but topic ${names.spansTopic} does not exist yet (the receiver creates it); waiting for it, retrying with backoff`);
    const ready = await fetch(`${url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(await ready.json()), new RegExp(`not consuming yet: Kafka at ${KAFKA_BROKERS}: topic ${names.spansTopic} does not exist yet \\(the receiver creates it\\)`));
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal((await admin.listTopics()).includes(names.spansTopic), false, 'the translator did not create the span topic');
    } finally {
      await admin.disconnect();
    }

    await createTopic(kafka, names.spansTopic, 6); // as the receiver does at its start
    await waitFor('the translator to join its group and become ready', 60_000, async () => (await fetch(`${url}/health/ready`)).ok, { describe: () => proc.output().slice(-2000) });
    // Readiness turns on when the group assigns partitions, inside app.start(); the "translator started" line is
    // written once app.start() has returned, so it can reach the pipe a moment after /health/ready answers 200.
    await waitFor('the "translator started" line', 30_000, () => /"msg":"translator started"/.test(proc.output()), { describe: () => proc.output().slice(-2000) });
    assert.equal(problems(proc.output()).loud.length, 1, 'still the one warn line');
    proc.signal('SIGTERM');
    assert.deepEqual(await proc.waitExit(30_000), { code: 0, signal: null });
  } finally {
    await proc.stop();
  }
});

test('meshray receiver, ACK_MODE=buffer, a second SIGTERM while spans answered 202 still wait for Kafka: exit 130 with one line saying how many are lost (it exited silently)', { timeout: 120_000 }, async () => {
  const receiverPort = await freePort();
  const topic = `e2e-abandon-${receiverPort}`;
  const kafka = testKafka('e2e-abandon');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const proc = cli('receiver', 'receiver', {
    KAFKA_BROKERS, RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1', ACK_MODE: 'buffer',
    SPANS_TOPIC: topic, SPANS_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_TIMEOUT: '120s',
  });
  try {
    const url = `http://127.0.0.1:${receiverPort}`;
    await waitFor('the receiver to become ready', 60_000, async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.ok === true, { describe: () => proc.output().slice(-2000) });
    // The span topic deleted (the broker creates none on its own): sends fail and the spans stay buffered.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    await admin.disconnect();
    const now = Date.now() * 1000;
    const spans = ['a2fb4a1d1a96d312', 'b2fb4a1d1a96d312', 'c2fb4a1d1a96d312'].map((id) => ({ traceId: '463ac35c9f6413ad48485a3953bb6124', id, name: 'get', timestamp: now, duration: 10, localEndpoint: { serviceName: 'x' } }));
    const post = await fetch(`${url}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
    assert.equal(post.status, 202, await post.text());
    proc.signal('SIGTERM');
    await waitFor('the receiver to start stopping', 30_000, () => /"msg":"receiver stopping"/.test(proc.output()), { describe: () => proc.output().slice(-2000) });
    // A second signal within REPEATED_SIGNAL_MS of the first counts as the same one: signal again each second.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    for (let i = 0; i < 10 && exit === undefined; i++) {
      proc.signal('SIGTERM');
      exit = await proc.waitExit(1000);
    }
    assert.deepEqual(exit, { code: 130, signal: null }, proc.output());
    const said = proc.output().split('\n').filter((l) => l.startsWith('meshray: exiting at once'));
    assert.deepEqual(said, ['meshray: exiting at once: 3 spans answered 202 (ACK_MODE=buffer) and not yet in Kafka are lost'], proc.output().slice(-2000));
  } finally {
    await proc.stop();
  }
});
