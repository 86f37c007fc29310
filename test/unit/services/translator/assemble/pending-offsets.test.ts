import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareOffsets, PendingOffsets } from '../../../../../services/translator/assemble/pending-offsets.ts';

/** The lowest pending offset the slow way: every one, as BigInt. */
function naiveLowest(counts: Map<string, number>): string | undefined {
  let lowest: string | undefined;
  for (const [o, n] of counts) if (n > 0 && (lowest === undefined || BigInt(o) < BigInt(lowest))) lowest = o;
  return lowest;
}

test('compareOffsets orders Kafka offsets as numbers, not as text', () => {
  assert.ok(compareOffsets('9', '10') < 0);
  assert.ok(compareOffsets('100', '99') > 0);
  assert.equal(compareOffsets('9223372036854775807', '9223372036854775807'), 0);
  assert.ok(compareOffsets('9223372036854775806', '9223372036854775807') < 0);
});

test('the lowest pending offset: in order, with parts, released out of order, and put back after its count fell to 0', () => {
  const p = new PendingOffsets();
  assert.equal(p.lowest(), undefined);
  for (const o of ['5', '6', '7', '10']) p.add(o);
  p.add('6'); // a record of two traces: two parts
  assert.equal(p.lowest(), '5');
  assert.equal(p.release('5'), 0);
  assert.equal(p.lowest(), '6');
  assert.equal(p.release('6'), 1);
  assert.equal(p.lowest(), '6', 'one part of 6 is still pending');
  assert.equal(p.release('7'), 0);
  assert.equal(p.release('6'), 0);
  assert.equal(p.lowest(), '10');
  p.add('5'); // put back after it had left (and had been passed by lowest()): it is the lowest again
  assert.equal(p.lowest(), '5');
  p.add('8'); // below the newest queued, above the lowest: placed in order
  assert.equal(p.release('5'), 0);
  assert.equal(p.lowest(), '8');
  assert.equal(p.size, 2);
  assert.equal(p.has('10'), true);
  assert.equal(p.has('7'), false);
});

test('property: after any sequence of adds (mostly ascending, some out of order), releases and put-backs, lowest() is the true minimum', () => {
  let seed = 12345;
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let round = 0; round < 200; round += 1) {
    const p = new PendingOffsets();
    const model = new Map<string, number>();
    let next = 1_000 + Math.floor(random() * 1e12);
    for (let step = 0; step < 400; step += 1) {
      const r = random();
      const held = [...model.keys()];
      if (r < 0.45) {
        next += 1 + Math.floor(random() * 3);
        const o = String(next);
        p.add(o);
        model.set(o, (model.get(o) ?? 0) + 1);
      } else if (r < 0.55) {
        const o = String(next - Math.floor(random() * 50)); // out of order: may be held, gone or never seen
        p.add(o);
        model.set(o, (model.get(o) ?? 0) + 1);
      } else if (held.length > 0) {
        const o = held[Math.floor(random() * held.length)] ?? '';
        const left = (model.get(o) ?? 0) - 1;
        if (left > 0) model.set(o, left); else model.delete(o);
        assert.equal(p.release(o), left);
        if (random() < 0.2) { p.add(o); model.set(o, (model.get(o) ?? 0) + 1); } // put back at once
      }
      if (random() < 0.3) assert.equal(p.lowest(), naiveLowest(model), `round ${round}, step ${step}`);
      assert.equal(p.size, model.size);
    }
    assert.equal(p.lowest(), naiveLowest(model));
  }
});
