// Shared by the deploy tests: locates and parses the deployment artifacts (not a test file itself).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const K8S_DIR = join(REPO_ROOT, 'k8s');
export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.aws.yml'] as const;

export type Doc = Record<string, unknown>;

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly [key: string]: unknown;
}

export const rel = (path: string): string => relative(REPO_ROOT, path);

/** Every .yaml/.yml file under dir, sorted. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/** Parses a (multi-document) YAML file strictly: any YAML error or warning throws. */
export function parseYamlFile(path: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  const out: Doc[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${rel(path)}: ${problems.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // empty document (e.g. a trailing ---)
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${rel(path)}: a document is not a mapping`);
    out.push(value as Doc);
  }
  return out;
}

export const isKustomization = (path: string): boolean => /(^|\/)kustomization\.ya?ml$/.test(path);

/** Every Kubernetes object in k8s/ (kustomizations excluded), with the file it came from. */
export function k8sObjects(): { file: string; object: K8sObject }[] {
  const out: { file: string; object: K8sObject }[] = [];
  for (const file of yamlFilesUnder(K8S_DIR)) {
    if (isKustomization(file)) continue;
    for (const doc of parseYamlFile(file)) out.push({ file, object: doc as unknown as K8sObject });
  }
  return out;
}

/** Objects that are whole resources (listed in a kustomization's `resources`), not patches. */
export function k8sResourceFiles(): Set<string> {
  const files = new Set<string>();
  const visit = (dir: string): void => {
    const kustomization = parseYamlFile(join(dir, 'kustomization.yaml'))[0] ?? {};
    for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) visit(p);
      else files.add(p);
    }
  };
  for (const overlay of ['overlays/local', 'overlays/eks']) visit(join(K8S_DIR, overlay));
  for (const f of yamlFilesUnder(join(K8S_DIR, 'istio'))) files.add(f);
  return files;
}

export const composeFile = (name: (typeof COMPOSE_FILES)[number]): Doc => {
  const docs = parseYamlFile(join(REPO_ROOT, name));
  if (docs.length !== 1 || !docs[0]) throw new Error(`${name}: expected one YAML document`);
  return docs[0];
};

export const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Environment of a compose service as a record (map or KEY=VALUE list syntax). */
export function composeEnv(service: Doc): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => {
      const s = String(e);
      const i = s.indexOf('=');
      return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(asRecord(env)).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Pod templates of the workload kinds, with their owner. */
export function podTemplates(objects: readonly { file: string; object: K8sObject }[]) {
  return objects
    .filter(({ object }) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind))
    .map(({ file, object }) => {
      const template = asRecord(asRecord(object.spec).template);
      return { file, object, podSpec: asRecord(template.spec), podLabels: asRecord(asRecord(template.metadata).labels) };
    });
}
