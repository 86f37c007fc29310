import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../io.ts';
import { run as replay } from '../../../../../services/cli/commands/replay.ts';
import { run as capture } from '../../../../../services/cli/commands/capture.ts';

// Option errors are reported before any connection is attempted (no network in unit tests).

test('replay --help / capture --help print usage and exit 0', async () => {
  const r = await runCommand(replay, ['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: meshray replay/);
  assert.match(r.stdout, /--dry-run/);
  const c = await runCommand(capture, ['--help']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /--format FORMAT/);
});

test('replay: every bad option is listed, exit 1', async () => {
  const r = await runCommand(replay, ['--from', 'yesterday', '--rate', '0', '--epoch-policy', 'sometimes', '--output', 'x.ndjson', '--epoch-store', 'disk'], '', {});
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^meshray replay: invalid options:/);
  for (const expected of [/--brokers: no Kafka brokers/, /--from: expected ISO 8601/, /--rate: expected a positive number/, /--epoch-policy/, /--output: only with --dry-run/, /--epoch-store: expected redis or memory/]) {
    assert.match(r.stderr, expected);
  }
});

test('replay: a selection is required; --dlq and --topic exclude each other', async () => {
  const r = await runCommand(replay, ['--brokers', '127.0.0.1:9092', '--dlq', '--topic', 'x'], '', {});
  assert.equal(r.code, 1);
  assert.match(r.stderr, /choose what to read/);
  assert.match(r.stderr, /--dlq and --topic: give one/);
});

test('replay: unknown flags are refused with the usage', async () => {
  const r = await runCommand(replay, ['--fromm', '1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Unknown option '--fromm'[\s\S]*usage: meshray replay/);
});

test('capture: bad format and bad offsets, exit 1', async () => {
  const r = await runCommand(capture, ['--offsets', '0:9-1', '--format', 'xml'], '', { KAFKA_BROKERS: '127.0.0.1:9092' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--format: expected one of zipkin-json, ndjson, dead-letters, got "xml"/);
  assert.match(r.stderr, /partition 0: end offset 1 is before start offset 9/);
});

test('capture: --summary and the dead-letters format only with --dlq, each refused in one line', async () => {
  const env = { KAFKA_BROKERS: '127.0.0.1:9' };
  const summary = await runCommand(capture, ['--all', '--summary'], '', env);
  assert.equal(summary.code, 1);
  assert.equal(summary.stderr, 'meshray capture: invalid options: --summary: only with --dlq (it counts dead letters by reason)\n');
  const format = await runCommand(capture, ['--all', '--format', 'dead-letters'], '', env);
  assert.equal(format.code, 1);
  assert.match(format.stderr, /--format dead-letters: only with --dlq/);
  const help = await runCommand(capture, ['--help'], '', env);
  assert.doesNotMatch(help.stdout, /translation batch/);
  assert.match(help.stdout, /--summary/);
});
