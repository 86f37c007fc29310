import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { COMPOSE_FILES, K8S_DIR, REPO_ROOT, parseYamlFile, rel, yamlFilesUnder } from './deploy-files.ts';

test('every compose and k8s YAML file parses (multi-document, unique keys, no warnings)', () => {
  const files = [...COMPOSE_FILES.map((f) => join(REPO_ROOT, f)), ...yamlFilesUnder(K8S_DIR)];
  assert.ok(files.length > 10, `expected the k8s tree, found ${files.map(rel).join(', ')}`);
  for (const file of files) {
    const docs = parseYamlFile(file);
    assert.ok(docs.length > 0, `${rel(file)} has no document`);
  }
});

test('the k8s tree has the base, both overlays and both Istio generations', () => {
  const files = new Set(yamlFilesUnder(K8S_DIR).map((f) => rel(f)));
  for (const f of [
    'k8s/base/kustomization.yaml', 'k8s/overlays/local/kustomization.yaml', 'k8s/overlays/eks/kustomization.yaml',
    'k8s/istio/istio-1.7-meshconfig.yaml', 'k8s/istio/telemetry-api.yaml',
  ]) assert.ok(files.has(f), `missing ${f}`);
});
