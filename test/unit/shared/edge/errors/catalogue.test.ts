import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../../../shared/edge/errors/catalogue.ts';
import { MeshrayError, isMeshrayError } from '../../../../../shared/edge/errors/meshray-error.ts';

/**
 * The README's table of error codes (`| \`CODE\` | permanent|retryable | meaning |`) is the operators'
 * catalogue: it must list every code with its kind, and nothing else. (fastify checks its errors doc the
 * same way.)
 */
function readmeErrorTable(): Map<string, string> {
  const readme = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');
  const header = readme.indexOf('| code | kind | meaning |');
  assert.ok(header >= 0, 'README has the error-code table (| code | kind | meaning |)');
  const rows = new Map<string, string>();
  for (const line of readme.slice(header).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [, code, kind] = line.split('|').map((cell) => cell.trim());
    const name = /^`([A-Z_]+)`$/.exec(code ?? '')?.[1];
    assert.ok(name !== undefined, `README error table row without a \`CODE\`: ${line}`);
    assert.ok(!rows.has(name), `README lists ${name} twice`);
    rows.set(name, kind ?? '');
  }
  return rows;
}

test('every catalogue code is in the README error table, with its kind', () => {
  const table = readmeErrorTable();
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    assert.equal(table.get(code), entry.retryable ? 'retryable' : 'permanent', `README row for ${code}`);
  }
});

test('every code in the README error table is in the catalogue', () => {
  for (const code of readmeErrorTable().keys()) assert.ok(Object.hasOwn(ERROR_CATALOGUE, code), `README documents ${code}, which the catalogue does not have`);
});

test('MeshrayError carries code, retryability, the catalogue summary as default message, and issues', () => {
  const code: ErrorCode = 'BODY_MALFORMED';
  const e = new MeshrayError(code, undefined, { issues: [{ path: 'spans[0].id', message: 'bad' }] });
  assert.ok(isMeshrayError(e));
  assert.equal(e.code, code);
  assert.equal(e.retryable, false);
  assert.equal(new MeshrayError('BUFFER_FULL').retryable, true);
  assert.equal(e.message, ERROR_CATALOGUE.BODY_MALFORMED.summary);
  assert.deepEqual(e.issues, [{ path: 'spans[0].id', message: 'bad' }]);
  assert.equal(isMeshrayError(new Error('x')), false);
});
