import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floorDocumentsOf } from '../../../../bench/compare/translator.ts';

test('BENCH_DRAIN_FLOOR_DOCUMENTS: both floors by default, either alone, anything else refused by name', () => {
  assert.deepEqual(floorDocumentsOf(undefined), ['minimal', 'translated']);
  assert.deepEqual(floorDocumentsOf('translated'), ['translated']);
  assert.deepEqual(floorDocumentsOf(' minimal , '), ['minimal']);
  assert.throws(() => floorDocumentsOf('minimal,packed'), /'packed' is not minimal or translated/);
});
