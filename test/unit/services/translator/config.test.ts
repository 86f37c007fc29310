import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/edge/config/index.ts';
import { translatorEnvSchema } from '../../../../services/translator/config.ts';

test('defaults, and every key is described', () => {
  const r = parseConfig(translatorEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' });
  assert.ok(r.ok);
  assert.equal(r.value.EXPORT_FAILURE_TIMEOUT, 60_000);
  assert.equal(r.value.AWS_REGION, undefined, 'no implicit region');
  assert.equal(r.value.TRANSLATOR_GROUP_ID, 'meshray-translator');
  assert.equal(r.value.TRANSLATOR_OPS_PORT, 9412);
  assert.equal(r.value.PARTITIONS_CONCURRENCY, 3);
  assert.equal(r.value.POISON_MAX_ATTEMPTS, 3);
  assert.equal(r.value.LIVENESS_STALL_TIMEOUT, 60_000);
  assert.equal(r.value.SHUTDOWN_TIMEOUT, 30_000);
  for (const [key, schema] of Object.entries(translatorEnvSchema.shape)) assert.ok(schema.description, `${key} has a description`);
});

test('problems are all listed', () => {
  const r = parseConfig(translatorEnvSchema, { PARTITIONS_CONCURRENCY: '0', LIVENESS_STALL_TIMEOUT: 'soon' });
  assert.ok(!r.ok);
  const paths = r.issues.map((i) => i.path);
  assert.ok(paths.includes('KAFKA_BROKERS') && paths.includes('PARTITIONS_CONCURRENCY') && paths.includes('LIVENESS_STALL_TIMEOUT'));
});

test('no export target: one problem naming XRAY_ENDPOINT and AWS_REGION; either one is enough', async () => {
  const { loadConfig } = await import('../../../../shared/edge/config/index.ts');
  assert.throws(() => loadConfig(translatorEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092' }), (e: Error) => {
    assert.equal(e.message, 'invalid configuration: no X-Ray export target: set XRAY_ENDPOINT (e.g. http://127.0.0.1:2000 for xray-local) or AWS_REGION (real X-Ray)');
    return true;
  });
  assert.ok(parseConfig(translatorEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092', AWS_REGION: 'eu-west-1' }).ok);
  assert.ok(parseConfig(translatorEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' }).ok);
});

test('no export target is listed beside the other problems, not after they are fixed (a newcomer with no env saw only KAFKA_BROKERS)', () => {
  const r = parseConfig(translatorEnvSchema, { PARTITIONS_CONCURRENCY: 'many' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['KAFKA_BROKERS', 'PARTITIONS_CONCURRENCY', '']);
  assert.match(r.issues[2]?.message ?? '', /^no X-Ray export target/);
  // a target given, even a wrong one, is not called missing
  const wrong = parseConfig(translatorEnvSchema, { XRAY_ENDPOINT: 'not a url' });
  assert.ok(!wrong.ok);
  assert.deepEqual(wrong.issues.map((i) => i.path), ['KAFKA_BROKERS', 'XRAY_ENDPOINT']);
});

test('ASSEMBLY_IDLE at or past ASSEMBLY_MAX_AGE is refused, naming both', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' };
  const r = parseConfig(translatorEnvSchema, { ...base, ASSEMBLY_IDLE: '60s', ASSEMBLY_MAX_AGE: '10s' });
  assert.ok(!r.ok);
  const issue = r.issues.find((i) => i.path === 'ASSEMBLY_IDLE');
  assert.match(issue?.message ?? '', /must be shorter than ASSEMBLY_MAX_AGE \(10s\), got 1m/);
  assert.ok(parseConfig(translatorEnvSchema, { ...base, ASSEMBLY_IDLE: '60s', ASSEMBLY_MAX_AGE: '10s', ASSEMBLY: 'off' }).ok, 'no window, no conflict');
  assert.ok(parseConfig(translatorEnvSchema, { ...base, ASSEMBLY_IDLE: '9s', ASSEMBLY_MAX_AGE: '10s' }).ok);
});

test('LIVENESS_STALL_TIMEOUT under ASSEMBLY_MAX_AGE + 15s is refused with the window on: the committed offset waits for the oldest held trace and its export', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' };
  const r = parseConfig(translatorEnvSchema, { ...base, LIVENESS_STALL_TIMEOUT: '44s' });
  assert.ok(!r.ok);
  assert.match(r.issues.find((i) => i.path === 'LIVENESS_STALL_TIMEOUT')?.message ?? '', /must be at least ASSEMBLY_MAX_AGE \+ 15s \(45s\) with ASSEMBLY=on, got 44s/);
  assert.ok(parseConfig(translatorEnvSchema, { ...base, LIVENESS_STALL_TIMEOUT: '30s', ASSEMBLY: 'off' }).ok, 'no window, no conflict');
  assert.ok(parseConfig(translatorEnvSchema, { ...base, LIVENESS_STALL_TIMEOUT: '45s' }).ok);
  assert.ok(!parseConfig(translatorEnvSchema, { ...base, ASSEMBLY_MAX_AGE: '2m' }).ok, 'a longer window needs a longer stall timeout');
});

test('XRAY_ENDPOINT with an operation path (/v1/traces, /TraceSegments) is refused: meshray adds it', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092' };
  for (const endpoint of ['http://127.0.0.1:2000/v1/traces', 'https://xray.us-east-1.amazonaws.com/v1/traces/', 'http://127.0.0.1:2000/TraceSegments']) {
    const r = parseConfig(translatorEnvSchema, { ...base, XRAY_ENDPOINT: endpoint, EXPORT_PROTOCOL: 'otlp' });
    assert.ok(!r.ok, endpoint);
    assert.match(r.issues.find((i) => i.path === 'XRAY_ENDPOINT')?.message ?? '', /base URL .* meshray adds \/TraceSegments or \/v1\/traces itself/, endpoint);
  }
  const garbage = parseConfig(translatorEnvSchema, { ...base, XRAY_ENDPOINT: 'not a url' });
  assert.ok(!garbage.ok, 'an unparseable URL is a listed problem, not a crash');
  assert.ok(garbage.issues.some((i) => i.path === 'XRAY_ENDPOINT'));
  for (const endpoint of ['http://127.0.0.1:2000', 'http://127.0.0.1:2000/', 'https://proxy.example/xray']) {
    assert.ok(parseConfig(translatorEnvSchema, { ...base, XRAY_ENDPOINT: endpoint }).ok, endpoint);
  }
});

test('XRAY_ENDPOINT without http:// or https:// is refused at start, naming the fix (found by a newcomer: localhost:2000 was accepted and every export failed)', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092' };
  for (const endpoint of ['localhost:2000', 'xray-local:2000', 'ftp://127.0.0.1:2000']) {
    const r = parseConfig(translatorEnvSchema, { ...base, XRAY_ENDPOINT: endpoint });
    assert.ok(!r.ok, endpoint);
    assert.match(r.issues.find((i) => i.path === 'XRAY_ENDPOINT')?.message ?? '', /must be an http:\/\/ or https:\/\/ URL \(e\.g\. http:\/\/127\.0\.0\.1:2000/, endpoint);
  }
});

test('XRAY_RETRY_BASE above XRAY_RETRY_MAX is refused, naming both (the backoff capped it silently), in the translator and the all-in-one', async () => {
  const { allInOneEnvSchema } = await import('../../../../services/all-in-one/config.ts');
  const env = { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000', XRAY_RETRY_BASE: '10s', XRAY_RETRY_MAX: '5s' };
  for (const schema of [translatorEnvSchema, allInOneEnvSchema]) {
    const r = parseConfig(schema, env);
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => [i.path, i.message]), [['XRAY_RETRY_BASE', 'must not exceed XRAY_RETRY_MAX (5000 ms), got 10000 ms: the backoff caps every delay at XRAY_RETRY_MAX']]);
  }
  const equal = parseConfig(translatorEnvSchema, { ...env, XRAY_RETRY_BASE: '5s' });
  assert.ok(equal.ok, 'equal is fine');
});
