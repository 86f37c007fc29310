import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitDocument, fitsBytes, truncateChars } from '../../../../../shared/core/xray/limits.ts';

test('truncateChars never splits a surrogate pair', () => {
  assert.equal(truncateChars('abc', 5), 'abc');
  assert.equal(truncateChars('abcdef', 3), 'abc');
  assert.equal(truncateChars('ab😀', 3), 'ab');
  assert.equal(truncateChars('ab😀c', 4), 'ab😀');
});

test('fitsBytes counts UTF-8 bytes only when it matters', () => {
  assert.equal(fitsBytes('a'.repeat(100), 300), true);
  assert.equal(fitsBytes('a'.repeat(301), 300), false);
  assert.equal(fitsBytes('é'.repeat(150), 300), true);
  assert.equal(fitsBytes('é'.repeat(151), 300), false);
});

test('fitDocument leaves a fitting document alone and shares nothing it trims', () => {
  const shared = { default: { a: 'x'.repeat(500), b: 'y' } };
  const small = { name: 'n', metadata: shared };
  assert.deepEqual(fitDocument(small, 10_000), { json: JSON.stringify(small), trimmed: false });

  const big = { name: 'n', metadata: shared };
  const fitted = fitDocument(big, 200);
  assert.ok(fitted !== undefined && fitted.trimmed);
  assert.deepEqual(JSON.parse(fitted.json), { name: 'n', metadata: { default: { b: 'y' }, meshray: { truncated: true, droppedMetadataKeys: 1 } } });
  assert.equal(shared.default.a.length, 500, 'the caller’s metadata object is not mutated');
});

test('fitDocument drops annotations after metadata, and gives up when nothing is left to drop', () => {
  const doc = { name: 'n', annotations: { a: 'x'.repeat(300), b: 'y' }, metadata: { default: { m: 'z'.repeat(100) } } };
  const fitted = fitDocument(doc, 200);
  assert.ok(fitted !== undefined);
  assert.deepEqual(JSON.parse(fitted.json), { name: 'n', annotations: { b: 'y' }, metadata: { meshray: { truncated: true, droppedMetadataKeys: 1, droppedAnnotations: 1 } } });
  const hopeless = { name: 'n'.repeat(500) };
  assert.equal(fitDocument(hopeless, 200), undefined);
});
