import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptedWindows } from '../../../../services/xray-local/accepted-windows.ts';

test('documents are counted per aligned 10-second window; max is the fullest; old windows are forgotten', () => {
  const w = new AcceptedWindows({ keep: 2 });
  assert.equal(w.max, 0);
  w.add(50, 20_000);
  w.add(30, 29_999);
  w.add(70, 30_000);
  assert.deepEqual([...w.counts], [[20_000, 80], [30_000, 70]]);
  assert.equal(w.max, 80);
  w.add(10, 45_000);
  assert.deepEqual([...w.counts], [[30_000, 70], [40_000, 10]]);
  assert.equal(w.max, 70);
});
