import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { REPO_ROOT } from './deploy-files.ts';
import { COMMAND_NAMES, SERVICES, servicePort } from './service-specs.ts';

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const instructions = dockerfile.getInstructions();
const stages = dockerfile.getFROMs();
const lastStageLine = stages.at(-1)?.getRange().start.line ?? 0;
const finalStage = instructions.filter((i) => i.getRange().start.line >= lastStageLine);
const args = (keyword: string, scope = instructions) =>
  scope.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');
/** Whole instruction text after the keyword, flags (--from=...) included. */
const fullArgs = (keyword: string, scope = instructions) =>
  scope.filter((i) => i.getKeyword() === keyword).map((i) => i.getTextContent().replace(/^\s*\S+\s+/, ''));
const execForm = (keyword: string): unknown => {
  const last = args(keyword, finalStage).at(-1);
  assert.ok(last !== undefined, `no ${keyword} in the runtime stage`);
  return JSON.parse(last); // exec (JSON) form, so signals reach node
};

/** The Node LTS line CI tests (`LTS_NODE` in .ci/run): the image must ship it and engines must name it. */
const ltsMajor = /LTS_NODE="\$\{LTS_NODE:-(\d+)\.\d+\.\d+\}"/.exec(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8'))?.[1];

test('the image and engines are on the Node LTS line that CI tests', () => {
  assert.ok(ltsMajor, '.ci/run pins LTS_NODE');
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.match(pkg.engines.node, new RegExp(`(^|\\|\\|\\s)\\^${ltsMajor}\\.`), `engines names Node ${ltsMajor}`);
  for (const from of stages) assert.equal(from.getImageTag(), `${ltsMajor}-bookworm-slim`);
});

test('engines names the maintenance LTS line CI tests too (MAINTENANCE_NODE in .ci/run)', () => {
  const major = /MAINTENANCE_NODE="\$\{MAINTENANCE_NODE:-(\d+)\.\d+\.\d+\}"/.exec(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8'))?.[1];
  assert.ok(major, '.ci/run pins MAINTENANCE_NODE');
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.match(pkg.engines.node, new RegExp(`(^|\\|\\|\\s)\\^${major}\\.`), `engines names Node ${major}`);
});

test('multi-stage on node:<LTS>-bookworm-slim: build runs npm ci + npm run build, runtime installs production deps only', () => {
  assert.equal(stages.length, 2);
  for (const from of stages) assert.equal(from.getImageName(), 'node');
  assert.equal(stages[0]?.getBuildStage(), 'build');
  const buildRuns = args('RUN').filter((_, i) => instructions.filter((x) => x.getKeyword() === 'RUN')[i]!.getRange().start.line < lastStageLine);
  assert.ok(buildRuns.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)), 'build stage: npm ci');
  assert.ok(buildRuns.some((r) => /\bnpm run build\b/.test(r)), 'build stage: npm run build');
  const runtimeRuns = args('RUN', finalStage);
  assert.ok(runtimeRuns.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), 'runtime stage: npm ci --omit=dev');
  assert.ok(fullArgs('COPY', finalStage).some((c) => /--from=build\s+\/app\/dist/.test(c)), 'runtime copies dist/ from the build stage');
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.build, 'package.json has a build script');
});

test('runs as the non-root node user', () => {
  assert.deepEqual(args('USER', finalStage), ['node']);
});

test('ENTRYPOINT runs the CLI and CMD names a CLI command', () => {
  assert.deepEqual(execForm('ENTRYPOINT'), ['node', 'bin/meshray.mjs']);
  const cmd = execForm('CMD') as string[];
  assert.ok(Array.isArray(cmd) && cmd.length > 0);
  assert.ok(COMMAND_NAMES.has(cmd[0]!), `CMD ${cmd[0]} is not a meshray command (${[...COMMAND_NAMES].join(', ')})`);
  assert.deepEqual(cmd, ['start']);
  assert.ok(existsSync(join(REPO_ROOT, 'bin/meshray.mjs')));
});

test('EXPOSEs the services\' default ports (read from their config schemas)', () => {
  const exposed = new Set(args('EXPOSE', finalStage).flatMap((a) => a.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, ''))));
  for (const spec of Object.values(SERVICES)) {
    const port = servicePort(spec, { KAFKA_BROKERS: 'kafka:9092', XRAY_ENDPOINT: 'http://xray-local:2000' });
    assert.ok(exposed.has(port), `EXPOSE lacks ${spec.command}'s port ${port}`);
  }
});

test('COPY sources exist and are not excluded by .dockerignore', () => {
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const must of ['node_modules', 'dist', '.kafka', '.git', 'test-results']) assert.ok(ignored.includes(must), `.dockerignore lacks ${must}`);
  for (const copy of fullArgs('COPY')) {
    if (copy.includes('--from=')) continue;
    const parts = copy.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      assert.ok(existsSync(join(REPO_ROOT, src)), `COPY source ${src} does not exist`);
      assert.ok(!ignored.includes(src), `COPY source ${src} is excluded by .dockerignore`);
    }
  }
});
