import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig, loadConfig } from '../../../../../shared/edge/config/load.ts';
import { kafkaEnv, logEnv, translationEnv, xrayEnv } from '../../../../../shared/edge/config/fragments.ts';
import { bytes, durationMs, int } from '../../../../../shared/edge/config/types.ts';
import { MeshrayError } from '../../../../../shared/edge/errors/meshray-error.ts';

const schema = z.object({ ...logEnv, ...kafkaEnv, ...translationEnv, ACK_TIMEOUT: durationMs().default(3000), MAX_BODY: bytes().default(5 * 1024 * 1024) });

test('parses env with defaults and units, and freezes the result', () => {
  const r = parseConfig(schema, { KAFKA_BROKERS: 'a:9092, b:9093', ACK_TIMEOUT: '2s', MAX_BODY: '1mb', ANNOTATION_TAGS: 'x,y' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.KAFKA_BROKERS, ['a:9092', 'b:9093']);
  assert.equal(r.value.ACK_TIMEOUT, 2000);
  assert.equal(r.value.MAX_BODY, 1024 * 1024);
  assert.equal(r.value.EPOCH_POLICY, 'auto');
  assert.equal(r.value.EPOCH_TTL, 60_000);
  assert.deepEqual(r.value.ANNOTATION_TAGS, ['x', 'y']);
  assert.ok(Object.isFrozen(r.value));
  assert.ok(Object.isFrozen(r.value.KAFKA_BROKERS));
});

test('lists every problem at once', () => {
  const r = parseConfig(schema, { LOG_LEVEL: 'loud', ACK_TIMEOUT: 'soon', EPOCH_POLICY: 'sometimes' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const paths = r.issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['ACK_TIMEOUT', 'EPOCH_POLICY', 'KAFKA_BROKERS', 'LOG_LEVEL']);
  assert.match(r.issues.find((i) => i.path === 'KAFKA_BROKERS')?.message ?? '', /required/);
  assert.match(r.issues.find((i) => i.path === 'ACK_TIMEOUT')?.message ?? '', /duration/);
  assert.match(r.issues.find((i) => i.path === 'EPOCH_POLICY')?.message ?? '', /expected one of "auto"\|"rewrite"\|"preserve", got "sometimes"$/, 'an enum names the value given');
  assert.match(r.issues.find((i) => i.path === 'LOG_LEVEL')?.message ?? '', /, got "loud"$/);
});

test('empty variables count as unset', () => {
  const r = parseConfig(schema, { KAFKA_BROKERS: 'k:1', LOG_LEVEL: '' });
  assert.ok(r.ok);
  assert.equal(r.value.LOG_LEVEL, 'info');
});

test('loadConfig throws CONFIG_INVALID naming the variables', () => {
  assert.throws(() => loadConfig(schema, { KAFKA_BROKERS: 'nohostport' }), (e: unknown) => {
    assert.ok(e instanceof MeshrayError);
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /KAFKA_BROKERS/);
    return true;
  });
});

test('SASL needs both credentials', async () => {
  const { requireSaslCredentials } = await import('../../../../../shared/edge/config/fragments.ts');
  const withSasl = z.object({ ...kafkaEnv }).superRefine(requireSaslCredentials);
  const missing = parseConfig(withSasl, { KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' });
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.deepEqual(missing.issues.map((i) => i.path), ['KAFKA_SASL_PASSWORD']);
  assert.ok(parseConfig(withSasl, { KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).ok);
});

test('a problem names the value given when it is a short plain word or number (it said "Too small" of a -1 it did not show), never a secret\'s or a long one', () => {
  const withLimits = z.object({ RETRIES: int(0, 100).default(8), PORT: int(1, 65535).default(9411), SASL_PASSWORD: int(0).optional(), NAME: z.string().max(3).optional(), CONCURRENCY: int(1).default(1), REDIS_URL: z.url().optional() });
  const r = parseConfig(withLimits, { RETRIES: '-1', PORT: 'abc', SASL_PASSWORD: 'hunter2', NAME: 'a'.repeat(41), CONCURRENCY: 'e', REDIS_URL: 'mypassw0rd' });
  assert.ok(!r.ok);
  const by = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
  assert.match(by['RETRIES'] ?? '', /, got "-1"$/);
  assert.match(by['PORT'] ?? '', /, got "abc"$/);
  assert.doesNotMatch(by['SASL_PASSWORD'] ?? '', /hunter2/);
  assert.doesNotMatch(by['NAME'] ?? '', /aaaa/);
  assert.match(by['CONCURRENCY'] ?? '', /, got "e"$/, 'a value that is a letter of the message is named too');
  assert.doesNotMatch(by['REDIS_URL'] ?? '', /mypassw0rd/, 'a URL may hold a password');
});

test('an item of a comma-separated list is named by its value under the variable, not by an index (KAFKA_BROKERS.0 said nothing of "localhost": newcomer trial)', () => {
  const r = parseConfig(schema, { KAFKA_BROKERS: 'localhost, b:9093,bad host' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues, [
    { path: 'KAFKA_BROKERS', message: '"localhost": expected host:port' },
    { path: 'KAFKA_BROKERS', message: 'item 3: expected host:port' },
  ]);
});

test('a broker given as a URL, and an X-Ray endpoint given without a scheme, say what to change (newcomer trial: "item 1: expected host:port", "Invalid URL")', () => {
  const brokers = parseConfig(schema, { KAFKA_BROKERS: 'http://127.0.0.1:9092,kafka:9092' });
  assert.ok(!brokers.ok);
  assert.deepEqual(brokers.issues, [{ path: 'KAFKA_BROKERS', message: '"http://127.0.0.1:9092": expected host:port, without a scheme: drop the "http://"' }]);
  const withXray = z.object({ ...xrayEnv });
  for (const endpoint of ['127.0.0.1:2000', 'localhost:2000', 'ftp://x:2000']) {
    const r = parseConfig(withXray, { XRAY_ENDPOINT: endpoint });
    assert.ok(!r.ok, endpoint);
    assert.deepEqual(r.issues.map((i) => i.path), ['XRAY_ENDPOINT']);
    assert.match(r.issues[0]?.message ?? '', new RegExp(`^must be an http:// or https:// URL .*: put http:// or https:// before a host:port, got "${endpoint}"$`));
  }
  for (const endpoint of ['http://127.0.0.1:2000', 'https://xray.us-east-1.amazonaws.com']) assert.ok(parseConfig(withXray, { XRAY_ENDPOINT: endpoint }).ok, endpoint);
  const padded = parseConfig(withXray, { XRAY_ENDPOINT: ' https://xray.us-east-1.amazonaws.com\r\n' });
  assert.ok(padded.ok);
  assert.equal(padded.value.XRAY_ENDPOINT, 'https://xray.us-east-1.amazonaws.com', 'trimmed, as z.url() did (a CR from a Windows-edited env file; found by review)');
});
