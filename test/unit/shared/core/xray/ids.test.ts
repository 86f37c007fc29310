import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveIdByHash, fnv1a64Hex } from '../../../../../shared/core/xray/ids.ts';

test('fnv1a64Hex matches the published FNV-1a 64 test vectors', () => {
  assert.equal(fnv1a64Hex(''), 'cbf29ce484222325');
  assert.equal(fnv1a64Hex('a'), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64Hex('foobar'), '85944171f73967e8');
});

test('deriveIdByHash is deterministic, 16 hex, role-dependent and never the input', () => {
  const id = deriveIdByHash('74280ae0c10d8062', 'server');
  assert.equal(id, deriveIdByHash('74280ae0c10d8062', 'server'));
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.notEqual(id, '74280ae0c10d8062');
  assert.notEqual(id, deriveIdByHash('74280ae0c10d8062', 'local'));
  for (let i = 0; i < 1000; i += 1) {
    const spanId = i.toString(16).padStart(16, '0');
    assert.notEqual(deriveIdByHash(spanId, 'server'), spanId);
  }
});
