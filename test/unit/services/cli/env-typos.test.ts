import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envTypos } from '../../../../services/cli/env-typos.ts';
import { SERVICE_SCHEMAS } from '../../../../services/cli/docs/config-tables.ts';

const ALL = new Set(Object.values(SERVICE_SCHEMAS).flatMap((s) => Object.keys(s.shape)));
const own = (name: keyof typeof SERVICE_SCHEMAS): string[] => Object.keys(SERVICE_SCHEMAS[name].shape);

test('the translator names the misspelled variables a newcomer set, and what they were meant to be', () => {
  const env = { EXPORT_PROTCOL: 'otlp', ASSEMBLY_IDEL: '1s', KAFKA_BROKER: 'k:9092', PACKINGS: 'on', PACKING: 'on', BATCH_LINGER: '5', path: '/x', HOME: '/root' };
  assert.deepEqual(envTypos(env, own('translator'), ALL), [
    { given: 'ASSEMBLY_IDEL', meant: 'ASSEMBLY_IDLE' },
    { given: 'EXPORT_PROTCOL', meant: 'EXPORT_PROTOCOL' },
    { given: 'KAFKA_BROKER', meant: 'KAFKA_BROKERS' },
    { given: 'PACKINGS', meant: 'PACKING' },
  ], 'BATCH_LINGER is the receiver\'s: known, so not flagged');
});

test('nothing a platform sets beside meshray is taken for a typo (AWS SDK, Node, Kubernetes service links, Docker)', () => {
  const platform = [
    'HOME', 'PATH', 'HOSTNAME', 'PWD', 'SHLVL', 'TERM', 'LANG', 'TZ', 'NODE_ENV', 'NODE_OPTIONS', 'NODE_VERSION', 'YARN_VERSION', 'NODE_EXTRA_CA_CERTS',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
    'AWS_EC2_METADATA_DISABLED', 'AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_XRAY', 'AWS_USE_FIPS_ENDPOINT',
    'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBERNETES_PORT', 'KAFKA_PORT', 'KAFKA_SERVICE_HOST', 'KAFKA_SERVICE_PORT',
    'REDIS_PORT', 'REDIS_SERVICE_HOST', 'REDIS_SERVICE_PORT', 'ZIPKIN_PORT', 'ZIPKIN_SERVICE_HOST', 'ZIPKIN_SERVICE_PORT',
    'XRAY_LOCAL_SERVICE_HOST', 'XRAY_LOCAL_SERVICE_PORT', 'MESHRAY_REDIS_PORT', 'MESHRAY_REDIS_SERVICE_HOST', 'ISTIO_META_MESH_ID',
    'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'CI', 'LTS_NODE', 'TEST_FILTER', 'UV_THREADPOOL_SIZE',
    // other software's settings in a shared environment (Heroku, Aiven, twelve-factor apps)
    'API_HOST', 'APP_HOST', 'PG_HOST', 'ES_HOST', 'DB_HOST', 'APP_MODE', 'APP_PORT', 'KAFKA_URL', 'KAFKA_TOPIC', 'KAFKA_GROUP_ID',
    'REDIS_TTL', 'REDIS_HOST', 'REDIS_PASSWORD', 'REDIS_TLS_URL', 'LOG_FORMAT', 'DATABASE_URL', 'SENTRY_DSN',
  ];
  const env = Object.fromEntries(platform.map((n) => [n, 'x']));
  for (const name of Object.keys(SERVICE_SCHEMAS) as (keyof typeof SERVICE_SCHEMAS)[]) {
    assert.deepEqual(envTypos(env, own(name), ALL), [], name);
  }
});
