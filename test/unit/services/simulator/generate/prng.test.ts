import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrng } from '../../../../../services/simulator/generate/prng.ts';

test('the same seed gives the same sequence, another seed another one', () => {
  const a = createPrng(7);
  const b = createPrng(7);
  const c = createPrng(8);
  const seqA = Array.from({ length: 20 }, () => a.uint32());
  assert.deepEqual(seqA, Array.from({ length: 20 }, () => b.uint32()));
  assert.notDeepEqual(seqA, Array.from({ length: 20 }, () => c.uint32()));
});

test('next, int, between stay in range; hex64 is 16 lowercase hex digits, never zero', () => {
  const prng = createPrng(123);
  for (let i = 0; i < 10_000; i++) {
    const x = prng.next();
    assert.ok(x >= 0 && x < 1);
    const n = prng.int(3, 5);
    assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
    const f = prng.between(10, 20);
    assert.ok(f >= 10 && f < 20);
    const h = prng.hex64();
    assert.match(h, /^[0-9a-f]{16}$/);
    assert.notEqual(h, '0000000000000000');
  }
  assert.equal(prng.chance(0), false);
});
