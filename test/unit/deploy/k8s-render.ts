// Renders an overlay: with `kubectl kustomize` when kubectl is installed, otherwise with a reduced
// renderer that follows `resources` and applies the overlay's ConfigMap/ServiceAccount patches
// (data and annotations merged by name), which is all the env and IRSA checks need.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { asArray, asRecord, parseYamlFile, type K8sObject } from './deploy-files.ts';

let kubectlFound: boolean | undefined;
/** Whether kubectl runs here (asked once per process: each spawn costs a few hundred ms on a busy machine). */
export const kubectlAvailable = (): boolean => (kubectlFound ??= spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0);

export function renderWithKubectl(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

export interface PatchRef { readonly kustomizationDir: string; readonly path?: string; readonly inline?: string; readonly target?: Record<string, unknown> }

export function kustomization(dir: string): Record<string, unknown> {
  return parseYamlFile(join(dir, 'kustomization.yaml'))[0] ?? {};
}

/** Resource files reachable from a kustomization, and every patch on the way. */
export function walk(dir: string): { resources: string[]; patches: PatchRef[] } {
  const k = kustomization(dir);
  const resources: string[] = [];
  const patches: PatchRef[] = [];
  for (const entry of asArray(k.resources).map(String)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const inner = walk(p);
      resources.push(...inner.resources);
      patches.push(...inner.patches);
    } else resources.push(p);
  }
  for (const raw of asArray(k.patches)) {
    const patch = asRecord(raw);
    patches.push({
      kustomizationDir: dir,
      ...(typeof patch.path === 'string' ? { path: join(dir, patch.path) } : {}),
      ...(typeof patch.patch === 'string' ? { inline: patch.patch } : {}),
      ...(patch.target ? { target: asRecord(patch.target) } : {}),
    });
  }
  return { resources, patches };
}

export function renderLite(dir: string): K8sObject[] {
  const { resources, patches } = walk(dir);
  const objects = resources.flatMap((f) => parseYamlFile(f)) as unknown as K8sObject[];
  for (const patch of patches) {
    if (!patch.path) continue;
    for (const doc of parseYamlFile(patch.path) as unknown as K8sObject[]) {
      if (doc.kind !== 'ConfigMap' && doc.kind !== 'ServiceAccount') continue;
      const target = objects.find((o) => o.kind === doc.kind && o.metadata.name === doc.metadata.name && o.metadata.namespace === doc.metadata.namespace);
      if (!target) throw new Error(`${patch.path}: no ${doc.kind} ${doc.metadata.name} to patch`);
      Object.assign(target, {
        ...(doc.data ? { data: { ...target.data, ...doc.data } } : {}),
        metadata: { ...target.metadata, annotations: { ...target.metadata.annotations, ...doc.metadata.annotations } },
      });
    }
  }
  return objects;
}

export const render = (dir: string): K8sObject[] => (kubectlAvailable() ? renderWithKubectl(dir) : renderLite(dir));

/**
 * For each object a patch names (its target selector, name as a regex as kustomize reads it, or each
 * document's own kind/name/namespace), the objects it matches.
 */
export function patchTargets(patch: PatchRef, objects: readonly K8sObject[]): { selector: string; matches: K8sObject[] }[] {
  const selectors: { kind?: string; name?: string; namespace?: string }[] = [];
  if (patch.target) {
    selectors.push({
      ...(typeof patch.target.kind === 'string' ? { kind: patch.target.kind } : {}),
      ...(typeof patch.target.name === 'string' ? { name: patch.target.name } : {}),
    });
  } else if (patch.path) {
    for (const doc of parseYamlFile(patch.path) as unknown as K8sObject[]) {
      selectors.push({ kind: doc.kind, name: doc.metadata.name, ...(doc.metadata.namespace ? { namespace: doc.metadata.namespace } : {}) });
    }
  } else if (patch.inline) {
    const doc = parse(patch.inline) as K8sObject;
    selectors.push({ kind: doc.kind, name: doc.metadata.name });
  }
  return selectors.map((s) => ({
    selector: JSON.stringify(s),
    matches: objects.filter((o) =>
      (s.kind === undefined || s.kind === o.kind)
      && (s.name === undefined || new RegExp(`^(?:${s.name})$`).test(o.metadata.name))
      && (s.namespace === undefined || s.namespace === o.metadata.namespace)),
  }));
}

export const relDir = (file: string): string => dirname(file);
