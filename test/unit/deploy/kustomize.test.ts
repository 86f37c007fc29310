import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { K8S_DIR, asArray, parseYamlFile, rel, type K8sObject } from './deploy-files.ts';
import { kubectlAvailable, kustomization, patchTargets, renderLite, renderWithKubectl, walk } from './k8s-render.ts';

const OVERLAYS = ['overlays/local', 'overlays/eks'].map((o) => join(K8S_DIR, o));
const KUSTOMIZATIONS = [join(K8S_DIR, 'base'), ...OVERLAYS];

test('every resources: entry of every kustomization exists', () => {
  for (const dir of KUSTOMIZATIONS) {
    const k = kustomization(dir);
    assert.equal(k.kind, 'Kustomization', rel(dir));
    for (const entry of asArray(k.resources).map(String)) {
      const p = join(dir, entry);
      assert.ok(existsSync(p), `${rel(dir)}/kustomization.yaml: resource ${entry} does not exist`);
      if (statSync(p).isDirectory()) assert.ok(existsSync(join(p, 'kustomization.yaml')), `${entry} is a directory without kustomization.yaml`);
    }
  }
});

test('every overlay patch targets objects that exist in what it builds on', () => {
  for (const dir of OVERLAYS) {
    const { resources, patches } = walk(dir);
    const objects = resources.flatMap((f) => parseYamlFile(f)) as unknown as K8sObject[];
    assert.ok(patches.length > 0, `${rel(dir)} has patches`);
    for (const patch of patches) {
      if (patch.path) assert.ok(existsSync(patch.path), `${rel(dir)}: patch file ${patch.path} missing`);
      for (const { selector, matches } of patchTargets(patch, objects)) {
        assert.ok(matches.length > 0, `${rel(dir)}: patch ${patch.path ? rel(patch.path) : 'inline'} targets ${selector}, which no resource matches`);
      }
    }
  }
});

test('object names are unique per kind and namespace in each overlay', () => {
  for (const dir of OVERLAYS) {
    const seen = new Set<string>();
    for (const o of renderLite(dir)) {
      const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      assert.ok(!seen.has(key), `${rel(dir)}: duplicate ${key}`);
      seen.add(key);
    }
  }
});

for (const dir of KUSTOMIZATIONS) {
  test(`kubectl kustomize builds ${rel(dir)} (when kubectl is installed)`, (t) => {
    if (!kubectlAvailable()) {
      t.skip('kubectl not installed: the resource and patch-target checks above stand in for a build');
      return;
    }
    const objects = renderWithKubectl(dir);
    assert.ok(objects.length > 5, `${rel(dir)} renders objects`);
    for (const o of objects) assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'meshray', `${o.kind}/${o.metadata.name} labelled`);
  });
}
