import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/config/index.ts';
import { allInOneEnvSchema, chooseExportTarget } from '../../../../services/all-in-one/config.ts';

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
  assert.deepEqual(targetFor({ AWS_DEFAULT_REGION: 'ap-south-1', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' }), { kind: 'aws', region: 'ap-south-1' });
  assert.deepEqual(targetFor({ XRAY_ENDPOINT: 'http://xray:2000', AWS_REGION: 'eu-west-1', AWS_PROFILE: 'prod' }), { kind: 'endpoint', endpoint: 'http://xray:2000' });
});
