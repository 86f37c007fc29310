import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/edge/config/index.ts';
import { allInOneEnvSchema, chooseExportTarget, exportTargetWarning, unusedServiceEnv } from '../../../../services/all-in-one/config.ts';

const targetFor = (env: Record<string, string>) => {
  const config = parseConfig(allInOneEnvSchema, env);
  assert.ok(config.ok);
  return chooseExportTarget(config.value, env);
};

test('the all-in-one keeps its embedded xray-local unless told otherwise; it never guesses a Region', () => {
  assert.deepEqual(targetFor({}), { kind: 'embedded' });
  assert.deepEqual(targetFor({ AWS_REGION: 'eu-west-1' }), { kind: 'embedded' }, 'a region without credentials does not leave the embedded xray-local');
  assert.deepEqual(targetFor({ AWS_PROFILE: 'prod' }), { kind: 'embedded' }, 'credentials without a region do not imply us-east-1');
  assert.deepEqual(targetFor({ AWS_REGION: 'eu-west-1', AWS_PROFILE: 'prod' }), { kind: 'aws', region: 'eu-west-1' });
  assert.deepEqual(targetFor({ AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'ap-south-1', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' }), { kind: 'aws', region: 'ap-south-1' }, 'IRSA sets both');
  assert.deepEqual(targetFor({ AWS_DEFAULT_REGION: 'eu-west-1', AWS_PROFILE: 'default' }), { kind: 'embedded' }, 'an AWS user\'s shell: npm start stays local');
  assert.deepEqual(targetFor({ XRAY_ENDPOINT: 'http://xray:2000', AWS_REGION: 'eu-west-1', AWS_PROFILE: 'prod' }), { kind: 'endpoint', endpoint: 'http://xray:2000' });
});

test('meshray start takes the receiver\'s edge keys (tokens, TLS, timeouts) with the same checks', () => {
  const set = parseConfig(allInOneEnvSchema, { RECEIVER_AUTH_TOKENS: 'a,b', RECEIVER_HEADERS_TIMEOUT: '5s' });
  assert.ok(set.ok);
  assert.deepEqual(set.value.RECEIVER_AUTH_TOKENS, ['a', 'b']);
  assert.equal(set.value.RECEIVER_HEADERS_TIMEOUT, 5000);
  assert.equal(set.value.XRAY_LOCAL_HOST, '127.0.0.1', 'the embedded xray-local is loopback unless told otherwise');
  const bad = parseConfig(allInOneEnvSchema, { RECEIVER_AUTH_TOKENS: 'a', RECEIVER_AUTH_TOKENS_FILE: '/t', RECEIVER_TLS_KEY: '/k.pem' });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['RECEIVER_AUTH_TOKENS_FILE', 'RECEIVER_TLS_CERT']);
});

test('a Region without a credential variable, or AWS_DEFAULT_REGION alone, keeps the embedded xray-local, and says so at start-up; real X-Ray is said too', () => {
  const warningFor = (env: Record<string, string>) => {
    const config = parseConfig(allInOneEnvSchema, env);
    assert.ok(config.ok);
    return exportTargetWarning(config.value, env, chooseExportTarget(config.value, env));
  };
  assert.equal(warningFor({}), undefined);
  assert.match(warningFor({ AWS_REGION: 'eu-west-1', AWS_PROFILE: 'prod' }) ?? '', /^exporting to AWS X-Ray in eu-west-1 \(AWS_REGION with AWS_PROFILE\), not to the embedded xray-local/);
  // the README promises the line: the console not on :2000 went unexplained (a newcomer's trial)
  assert.equal(warningFor({ XRAY_ENDPOINT: 'http://xray:2000', AWS_REGION: 'eu-west-1' }),
    'exporting to http://xray:2000 (XRAY_ENDPOINT), not to the embedded xray-local: its API and console are not started on XRAY_LOCAL_PORT');
  assert.match(warningFor({ XRAY_ENDPOINT: 'https://xray.eu-west-1.amazonaws.com' }) ?? '', /^exporting to AWS X-Ray at https:\/\/xray\.eu-west-1\.amazonaws\.com \(XRAY_ENDPOINT\)/);
  assert.match(warningFor({ AWS_REGION: 'eu-west-1' }) ?? '', /^AWS_REGION=eu-west-1 is set, but none of AWS_ACCESS_KEY_ID, AWS_PROFILE, .* is: exporting to the embedded xray-local, not to X-Ray\. .*XRAY_ENDPOINT=https:\/\/xray\.eu-west-1\.amazonaws\.com$/);
  for (const env of [{ AWS_DEFAULT_REGION: 'ap-south-1' }, { AWS_DEFAULT_REGION: 'ap-south-1', AWS_PROFILE: 'default' }]) {
    assert.match(warningFor(env) ?? '', /^AWS_DEFAULT_REGION=ap-south-1 is set, but meshray start exports to X-Ray only with AWS_REGION \(and credentials\) or XRAY_ENDPOINT: exporting to the embedded xray-local$/);
  }
});

test('the standalone services\' variables that meshray start does not read are named (a start-up warning); its own are not', () => {
  assert.deepEqual(unusedServiceEnv({}), []);
  assert.deepEqual(unusedServiceEnv({ BATCH_LINGER: 'abc', KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r', RECEIVER_PORT: '9411', EXPORT_LINGER: '20ms', PATH: '/bin',
    XRAY_LOCAL_PORT: '2000', XRAY_LOCAL_TRACE_SEGMENT_DESTINATION: 'XRay', XRAY_LOCAL_TLS_CERT: '/c.pem' }),
  ['BATCH_LINGER', 'KAFKA_BROKERS', 'REDIS_URL', 'XRAY_LOCAL_TLS_CERT', 'XRAY_LOCAL_TRACE_SEGMENT_DESTINATION']);
});

test('meshray start refuses a BUFFER_MAX_SPANS smaller than MAX_SPANS_PER_REQUEST (such a request would get 503 forever)', () => {
  const r = parseConfig(allInOneEnvSchema, { BUFFER_MAX_SPANS: '10' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['MAX_SPANS_PER_REQUEST']);
  assert.match(r.issues[0]?.message ?? '', /must not exceed BUFFER_MAX_SPANS \(10\): such a request could never be buffered/);
  assert.ok(parseConfig(allInOneEnvSchema, { BUFFER_MAX_SPANS: '10', MAX_SPANS_PER_REQUEST: '10' }).ok);
});
