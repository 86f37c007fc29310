// receiveClocksOf: the per-trace clocks the pipeline gives its per-partition epoch cache (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receiveClocksOf } from '../../../../../services/translator/epochs/receive-clocks.ts';
import { hex, spanOf } from '../support.ts';

test('receiveClocksOf: per trace, the newest timestamp of its records, at most now; now when none has one; the oldest of them', () => {
  const s = (traceId: string) => spanOf(traceId, hex(1, 16), Date.now());
  const clocks = receiveClocksOf([s('a'.repeat(16)), s('b'.repeat(16)), s('a'.repeat(32)), s('c'.repeat(16))], [5, 9, 7, 0], 100);
  assert.equal(clocks.of('a'.repeat(16)), 7, 'a 64- and a 128-bit id of one trace share the key');
  assert.equal(clocks.of('b'.repeat(16)), 9);
  assert.equal(clocks.of('c'.repeat(16)), 100, 'no timestamp');
  assert.equal(clocks.of('d'.repeat(16)), 100, 'not in the batch');
  assert.equal(clocks.oldestMs, 7);
  assert.equal(receiveClocksOf([s('a'.repeat(16))], [500], 100).of('a'.repeat(16)), 100, 'a producer clock ahead of ours');
  assert.equal(receiveClocksOf([s('a'.repeat(16))], [Number.NaN], 100).of('a'.repeat(16)), 100);
  assert.equal(receiveClocksOf([], [], 100).oldestMs, 100);
});
