import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { isLoopbackHost, xrayLocalConfigSchema } from '../../../services/xray-local/config.ts';
import { parseConfig } from '../../../shared/edge/config/index.ts';
import { K8S_DIR, REPO_ROOT, asArray, asRecord, composeEnv, composeFile, podTemplates } from './deploy-files.ts';
import { render } from './k8s-render.ts';

// xray-local has no authentication, so it binds loopback by default (issue 10 §4). Every deployment
// where something else must reach it sets XRAY_LOCAL_HOST explicitly to an address that is not loopback.

test('xray-local defaults to loopback', () => {
  const d = parseConfig(xrayLocalConfigSchema, {});
  assert.ok(d.ok);
  assert.ok(isLoopbackHost(d.value.XRAY_LOCAL_HOST));
});

test('docker-compose: the xray-local service listens on the container\'s interfaces', () => {
  const env = composeEnv(asRecord(asRecord(composeFile('docker-compose.yml').services)['xray-local']));
  assert.ok(env.XRAY_LOCAL_HOST !== undefined && !isLoopbackHost(env.XRAY_LOCAL_HOST), `XRAY_LOCAL_HOST=${env.XRAY_LOCAL_HOST}`);
});

test('k8s local overlay: the xray-local pod listens on the pod\'s interfaces (its Service and probes reach it)', () => {
  const objects = render(join(K8S_DIR, 'overlays/local'));
  const pods = podTemplates(objects.map((object) => ({ file: 'overlays/local', object })))
    .filter(({ podSpec }) => asArray(podSpec.containers).some((c) => asArray(asRecord(c).args)[0] === 'xray-local'));
  assert.equal(pods.length, 1);
  const container = asRecord(asArray(pods[0]!.podSpec.containers)[0]);
  const host = asArray(container.env).map(asRecord).find((e) => e.name === 'XRAY_LOCAL_HOST')?.value;
  assert.ok(typeof host === 'string' && !isLoopbackHost(host), `XRAY_LOCAL_HOST=${String(host)}`);
});

test('the image sets XRAY_LOCAL_HOST for `docker run -p 2000:2000 meshray start` (a container\'s loopback is unreachable)', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const stages = dockerfile.getFROMs().length;
  const lastStageEnv = dockerfile.getInstructions()
    .filter((i) => i.getKeyword() === 'ENV' && i.getRange().start.line > dockerfile.getFROMs()[stages - 1]!.getRange().start.line)
    .flatMap((i) => i.getArguments().map((a) => a.getValue()));
  const host = lastStageEnv.find((a) => a.startsWith('XRAY_LOCAL_HOST='))?.split('=')[1];
  assert.ok(host !== undefined && !isLoopbackHost(host), `runtime stage ENV XRAY_LOCAL_HOST=${String(host)}`);
});
