import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../../../services/cli/commands/stack.ts';
import { runCommand } from '../io.ts';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';

/** A port another program holds: a listening server on a free port. */
async function holdPort(): Promise<{ other: ReturnType<typeof createServer>; busy: string }> {
  const other = createServer();
  other.listen({ port: 0, host: '127.0.0.1' });
  await once(other, 'listening');
  return { other, busy: String((other.address() as AddressInfo).port) };
}

test('stack --help names what it starts and how to stop it', async () => {
  const { code, stdout } = await runCommand(run, ['--help']);
  assert.equal(code, 0);
  assert.match(stdout, /^usage: meshray stack \[--translators N\] \[--no-redis\]\n/);
  for (const word of ['Kafka', 'REDIS_URL', 'RECEIVER_PORT', 'TRANSLATOR_OPS_PORT', 'XRAY_LOCAL_PORT', 'Ctrl-C']) assert.ok(stdout.includes(word), word);
});

test('bad options are all listed before anything starts, exit 1 (as every command: 2 means spans refused; newcomer trial)', async () => {
  const { code, stderr, stdout } = await runCommand(run, ['--translators', '0', '--bogus']);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.equal(stderr, [
    'meshray stack: --translators: expected an integer ≥ 1, got "0"',
    'meshray stack: unknown option "--bogus"',
    "Run 'meshray stack --help' for usage.",
    '',
  ].join('\n'));
});

test('more translators than span topic partitions is refused: the extra ones would get no work', async () => {
  const { code, stderr } = await runCommand(run, ['--translators=4'], '', { SPANS_TOPIC_PARTITIONS: '3' });
  assert.equal(code, 1);
  assert.match(stderr, /--translators: at most 3 \(SPANS_TOPIC_PARTITIONS\)/);
});

test('a port given in the environment that another program holds is refused before anything starts (its readiness probe would answer for a service that died); with every other problem found', async () => {
  const { other, busy } = await holdPort();
  try {
    const { code, stderr, stdout } = await runCommand(run, ['--translators', '1', '--no-redis'], '', { TRANSLATOR_OPS_PORT: busy, KAFKA_BROKERS: '127.0.0.1:1' });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, [
      'meshray stack: Kafka at 127.0.0.1:1 (KAFKA_BROKERS) does not answer as Kafka: Connection error: connect ECONNREFUSED 127.0.0.1:1; start it, correct KAFKA_BROKERS, or unset it for a broker of the stack\'s own',
      `meshray stack: TRANSLATOR_OPS_PORT=${busy}: port ${busy} is in use (another program?); free it or set TRANSLATOR_OPS_PORT to another port`,
      '',
    ].join('\n'));
  } finally {
    other.close();
  }
});

test('a flag a typo away from one of its own is named (found by the newcomer trial: "--translator" had no hint)', async () => {
  const { code, stderr } = await runCommand(run, ['--translator', '2']);
  assert.equal(code, 1);
  assert.match(stderr, /^meshray stack: unknown option "--translator"; did you mean --translators\?\n/);
});

test('a variable a typo away from KAFKA_BROKERS or XRAY_ENDPOINT stops the stack before anything starts (a newcomer trial: a mistyped KAFKA_BROKERS started a throwaway broker, with a warning that scrolled away)', async () => {
  const { other, busy } = await holdPort();
  try {
    // the busy port would stop the stack right after the checks, before any broker, were the typos not refused
    const { code, stderr, stdout } = await runCommand(run, ['--translators', '1', '--no-redis'], '', { KAFKA_BROKER: '127.0.0.1:9092', XRAY_ENDPIONT: 'http://127.0.0.1:2050', RECEIVER_PORT: busy });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.deepEqual(stderr.trimEnd().split('\n'), [
      'meshray stack: KAFKA_BROKER is not a variable meshray reads; did you mean KAFKA_BROKERS? without it the stack starts a broker of its own, deleted with its topics when the stack stops: rename it, or unset it',
      'meshray stack: XRAY_ENDPIONT is not a variable meshray reads; did you mean XRAY_ENDPOINT? without it the translators export to the stack\'s own xray-local, which keeps traces in memory only: rename it, or unset it',
      `meshray stack: RECEIVER_PORT=${busy}: port ${busy} is in use (another program?); free it or set RECEIVER_PORT to another port`,
    ]);
    // Exporting to AWS (AWS_REGION with credentials), an XRAY_ENDPOINT typo changes nothing: a warning; so is an empty one.
    const aws = await runCommand(run, ['--translators', '1', '--no-redis'], '', { XRAY_ENDPIONT: 'x', KAFKA_BROKER: '', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', RECEIVER_PORT: busy });
    assert.deepEqual(aws.stderr.trimEnd().split('\n'), [
      'meshray stack: warning: KAFKA_BROKER is not a variable of meshray stack and is ignored; did you mean KAFKA_BROKERS?',
      'meshray stack: warning: XRAY_ENDPIONT is not a variable of meshray stack and is ignored; did you mean XRAY_ENDPOINT?',
      `meshray stack: RECEIVER_PORT=${busy}: port ${busy} is in use (another program?); free it or set RECEIVER_PORT to another port`,
    ]);
  } finally {
    other.close();
  }
});

test('a typo of a variable that is set as well is a warning only, and other typos stay warnings', async () => {
  const { other, busy } = await holdPort();
  try {
    // the busy port stops the stack right after the checks, before any broker
    const { code, stderr } = await runCommand(run, ['--translators', '1', '--no-redis'], '', { KAFKA_BROKER: 'x', KAFKA_BROKERS: '127.0.0.1:1', REDIS_URI: 'redis://x', RECEIVER_PORT: busy });
    assert.equal(code, 1);
    assert.match(stderr, /^meshray stack: warning: KAFKA_BROKER is not a variable of meshray stack and is ignored; did you mean KAFKA_BROKERS\?$/m);
    assert.match(stderr, /^meshray stack: warning: REDIS_URI is not a variable of meshray stack and is ignored; did you mean REDIS_URL\?$/m);
    assert.doesNotMatch(stderr, /not a variable meshray reads/);
    assert.doesNotMatch(stderr, /starting a Kafka broker/);
  } finally {
    other.close();
  }
});

test('with XRAY_ENDPOINT set the stack starts no xray-local: a busy XRAY_LOCAL_PORT is no problem, and a bad XRAY_ENDPOINT is the translator\'s (the stack replaced it with its own, without a word)', async () => {
  const { other, busy } = await holdPort();
  try {
    const given = await runCommand(run, ['--translators', '1', '--no-redis'], '', { XRAY_ENDPOINT: 'http://127.0.0.1:2050', XRAY_LOCAL_PORT: busy, RECEIVER_PORT: busy });
    assert.equal(given.code, 1);
    assert.deepEqual(given.stderr.trimEnd().split('\n'), [`meshray stack: RECEIVER_PORT=${busy}: port ${busy} is in use (another program?); free it or set RECEIVER_PORT to another port`]);
    const own = await runCommand(run, ['--translators', '1', '--no-redis'], '', { XRAY_LOCAL_PORT: busy, RECEIVER_PORT: busy });
    assert.match(own.stderr, new RegExp(`^meshray stack: XRAY_LOCAL_PORT=${busy}: port ${busy} is in use`, 'm'), 'without XRAY_ENDPOINT the stack starts its xray-local there');
    const bad = await runCommand(run, ['--translators', '1', '--no-redis'], '', { XRAY_ENDPOINT: 'ftp://x', RECEIVER_PORT: busy });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^meshray stack: translator: XRAY_ENDPOINT: /m);
  } finally {
    other.close();
  }
});

test('a service setting its own schema refuses is found before anything starts, one line per problem, with the service named (it surfaced only after the broker had started)', async () => {
  const { code, stderr, stdout } = await runCommand(run, ['--no-redis'], '', { ACK_TIMEOUT: '50ms', EPOCH_TTL: 'bad', XRAY_LOCAL_MAX_SEGMENTS: '0' });
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.deepEqual(stderr.trimEnd().split('\n'), [
    'meshray stack: xray-local: XRAY_LOCAL_MAX_SEGMENTS: must be a whole number of at least 1, got "0"',
    'meshray stack: receiver: ACK_TIMEOUT: must be at least 100ms, got "50ms"',
    'meshray stack: translator: EPOCH_TTL: expected a duration like 3s, 250ms, 2m, 1h, 1m30s or milliseconds, got "bad"',
  ]);
});

test('the preflight checks the ports given, and a problem of a variable several services read is one line naming them (found by the second diff review)', async () => {
  const { code, stderr } = await runCommand(run, ['--no-redis'], '', { RECEIVER_PORT: '70000', KAFKA_BROKERS: 'no-port', LOG_LEVEL: 'loud' });
  assert.equal(code, 1);
  const lines = stderr.trimEnd().split('\n');
  assert.ok(lines.some((l) => /^meshray stack: receiver: RECEIVER_PORT: /.test(l)), stderr);
  assert.ok(lines.some((l) => /^meshray stack: receiver, translator: KAFKA_BROKERS: "no-port": expected host:port$/.test(l)), stderr);
  assert.ok(lines.some((l) => /^meshray stack: xray-local, receiver, translator: LOG_LEVEL: /.test(l)), stderr);
  assert.equal(lines.filter((l) => l.includes('KAFKA_BROKERS')).length, 1, stderr);
});

test('KAFKA_BROKERS with a dead first broker and a live second one is a working cluster: the check tries each (it tried only the first)', async () => {
  const { other, busy } = await holdPort(); // a port that holds no Kafka: the check must look past it
  try {
    // both dead: every broker's cause is named
    const { code, stderr } = await runCommand(run, ['--no-redis'], '', { KAFKA_BROKERS: `127.0.0.1:1,127.0.0.1:2`, TRANSLATOR_OPS_PORT: busy });
    assert.equal(code, 1);
    assert.match(stderr, /^meshray stack: Kafka at 127\.0\.0\.1:1,127\.0\.0\.1:2 \(KAFKA_BROKERS\) does not answer as Kafka: 127\.0\.0\.1:1: Connection error: connect ECONNREFUSED 127\.0\.0\.1:1; 127\.0\.0\.1:2: Connection error: connect ECONNREFUSED 127\.0\.0\.1:2; /m);
  } finally {
    other.close();
  }
});
