/**
 * The import boundaries in eslint.config.js fail where they should (issue 11's acceptance: "a lint rule
 * enforces it: no file outside services/translator/ imports anything in it but index.ts"). Each case lints
 * a deliberate violation as if it were a file at that path, through ESLint's own API and the project's
 * config, and expects the rule's message; the allowed imports next to it must lint clean, so the rule is
 * not simply failing everything. `npm run lint` (CI) applies the same config to the real tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { ESLint } from 'eslint';

const REPO_ROOT = new URL('../../', import.meta.url);
const eslint = new ESLint({ cwd: REPO_ROOT.pathname });
// Loading the config, typescript-eslint's parser and the import plugin takes about 1 s the first time: done
// once as the file loads (like an import), so each test below times only its own linting.
await eslint.lintText('export {};\n', { filePath: 'services/cli/loaded.ts' });

const SERVICES = readdirSync(new URL('services/', REPO_ROOT), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

/** The rule ids and messages ESLint reports for `code` placed at `filePath` (relative to the repo). */
async function problemsOf(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.line} ${m.ruleId ?? 'parse'}: ${m.message}`);
}

const FACE = 'services/translator has one face: import services/translator/index.ts, nothing deeper';

test('every other service importing a translator file but index.ts fails lint: value, type, dynamic and re-export', async () => {
  const others = SERVICES.filter((s) => s !== 'translator');
  assert.ok(others.length >= 5, `services: ${SERVICES.join(', ')}`);
  for (const service of others) {
    const problems = await problemsOf(`services/${service}/violation.ts`, [
      "import { createTranslatorApp } from '../translator/app.ts';",
      "import type { TranslatorDeps } from '../translator/translator.ts';",
      'export type Deps = TranslatorDeps;',
      'export const app = createTranslatorApp;',
      "export const policy = await import('../translator/policy/error-policy.ts');",
      "export * from '../translator/export/segment-sink.ts';",
      '',
    ].join('\n'));
    const face = problems.filter((p) => p.includes('import-x/no-restricted-paths') && p.includes(FACE));
    assert.deepEqual(face.map((p) => Number(p.split(' ')[0])), [1, 2, 5, 6], `services/${service}: ${problems.join('\n')}`);
  }
});

test('a nested file elsewhere in services/ fails too, and the face itself (index.ts) lints clean', async () => {
  const deep = await problemsOf('services/cli/replay/violation.ts', "export { RangeSpanSource } from '../../translator/consume/range-span-source.ts';\n");
  assert.equal(deep.filter((p) => p.includes(FACE)).length, 1, deep.join('\n'));
  const face = await problemsOf('services/cli/replay/allowed.ts', "export { createTranslator } from '../../translator/index.ts';\n");
  assert.deepEqual(face, []);
});

test('inside services/translator/ its own files import each other freely', async () => {
  const problems = await problemsOf('services/translator/export/allowed.ts', "export { createTranslator } from '../translator.ts';\nexport type { SegmentSink } from './segment-sink.ts';\n");
  assert.deepEqual(problems, []);
});

test('every service has one face: reaching into another service but the translator fails the same way', async () => {
  const problems = await problemsOf('services/all-in-one/violation.ts', "export { buildApp } from '../receiver/app.ts';\nexport { buildApp as xray } from '../xray-local/index.ts';\n");
  assert.deepEqual(problems.map((p) => p.split(':')[0]), ['1 import-x/no-restricted-paths'], problems.join('\n'));
  assert.match(problems[0] ?? '', /services\/receiver has one face/);
});

test('shared/ never imports services/, not even a face; shared/core/ imports no SDK and no I/O', async () => {
  const edge = await problemsOf('shared/edge/http/violation.ts', "export { createTranslator } from '../../../services/translator/index.ts';\n");
  assert.match(edge.join('\n'), /shared\/ never imports services\//);
  const core = await problemsOf('shared/core/xray/violation.ts', "import { readFileSync } from 'node:fs';\nimport { Kafka } from 'kafkajs';\nexport const x = [readFileSync, Kafka, Date.now()];\n");
  assert.match(core.join('\n'), /pure libraries do no I\/O/);
  assert.match(core.join('\n'), /pure libraries import no SDK/);
  // shared/edge by any path (a review found the old relative patterns let `../../edge/...` through), clocks and ids
  const edgeFromCore = await problemsOf('shared/core/xray/violation.ts', [
    "import { MeshrayError } from '../../edge/errors/index.ts';",
    "import { randomUUID } from 'node:crypto';",
    "import { performance as p } from 'node:perf_hooks';",
    "import { setTimeout as wait } from 'node:timers/promises';",
    "import { createTranslator } from '../../../services/translator/index.ts';",
    "import { decodeSpans } from '../zipkin/index.ts';",
    'export const x = [MeshrayError, randomUUID, p, wait, createTranslator, decodeSpans];',
    '',
  ].join('\n'));
  assert.deepEqual(edgeFromCore.map((m) => m.split(':')[0]).sort(), ['1 import-x/no-restricted-paths', '2 no-restricted-imports', '3 no-restricted-imports', '4 no-restricted-imports', '5 import-x/no-restricted-paths'], edgeFromCore.join('\n'));
  assert.match(edgeFromCore.join('\n'), /pure libraries import only pure libraries \(shared\/core\), never shared\/edge/);
  assert.match(edgeFromCore.join('\n'), /shared\/ never imports services\//);
  // globals and syntax that reach the clock, timers, randomness or I/O without an import (found by the diff review)
  const hidden = await problemsOf('shared/core/xray/violation.ts', [
    'export const a = crypto.randomUUID();',
    'export const b = setTimeout(() => undefined, 1);',
    'export const c = globalThis.performance.now();',
    'export const d = new Date();',
    "export const e = await import('node:fs');",
    "export { connect } from 'net';",
    'export const f = new Date(0);',
    'export const g = Date();',
    'globalThis.queueMicrotask(() => undefined);',
    '',
  ].join('\n'));
  assert.deepEqual(hidden.map((m) => m.split(':')[0]), ['1 no-restricted-globals', '2 no-restricted-globals', '3 no-restricted-properties', '4 no-restricted-syntax', '5 no-restricted-syntax', '6 no-restricted-imports', '8 no-restricted-syntax', '9 no-restricted-properties'], hidden.join('\n'));
});
