import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, isRetryable } from '../../../../shared/errors/catalogue.ts';
import { MeshrayError, isMeshrayError } from '../../../../shared/errors/meshray-error.ts';

test('every code is marked permanent or retryable and has a summary', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    assert.equal(typeof entry.retryable, 'boolean', code);
    assert.ok(entry.summary.length > 0, code);
  }
  assert.equal(isRetryable('BUFFER_FULL'), true);
  assert.equal(isRetryable('BODY_MALFORMED'), false);
});

test('MeshrayError carries code, retryability and issues', () => {
  const e = new MeshrayError('BODY_MALFORMED', undefined, { issues: [{ path: 'spans[0].id', message: 'bad' }] });
  assert.ok(isMeshrayError(e));
  assert.equal(e.retryable, false);
  assert.equal(e.message, ERROR_CATALOGUE.BODY_MALFORMED.summary);
  assert.equal(e.issues.length, 1);
  assert.equal(isMeshrayError(new Error('x')), false);
});
