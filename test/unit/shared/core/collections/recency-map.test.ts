import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecencyMap } from '../../../../../shared/core/collections/recency-map.ts';

test('oldest and shift follow set and touch order; delete and a second set are honoured', () => {
  const m = new RecencyMap<number>();
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  assert.deepEqual(m.oldest(), { key: 'a', value: 1 });
  assert.equal(m.touch('a'), true);
  assert.equal(m.touch('zz'), false);
  assert.deepEqual(m.oldest(), { key: 'b', value: 2 });
  m.set('b', 20); // set again: most recent
  m.delete('c');
  assert.deepEqual(m.shift(), { key: 'a', value: 1 });
  assert.deepEqual(m.shift(), { key: 'b', value: 20 });
  assert.equal(m.shift(), undefined);
  assert.equal(m.size, 0);
  assert.equal(m.get('b'), undefined);
});

test('behaves as a Map kept in recency order by delete-and-set (a model), over any sequence of operations', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }),
    fc.record({ kind: fc.constant('touch' as const), key: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('shift' as const) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
    const m = new RecencyMap<number>();
    const model = new Map<string, number>();
    for (const o of ops) {
      if (o.kind === 'set') {
        model.delete(String(o.key));
        model.set(String(o.key), o.value);
        m.set(String(o.key), o.value);
      } else if (o.kind === 'touch') {
        const v = model.get(String(o.key));
        if (v !== undefined) { model.delete(String(o.key)); model.set(String(o.key), v); }
        assert.equal(m.touch(String(o.key)), v !== undefined);
      } else if (o.kind === 'delete') {
        assert.equal(m.delete(String(o.key)), model.delete(String(o.key)));
      } else {
        const first = model.entries().next();
        if (first.done !== true) model.delete(first.value[0]);
        assert.deepEqual(m.shift(), first.done === true ? undefined : { key: first.value[0], value: first.value[1] });
      }
      assert.equal(m.size, model.size);
    }
    const order: string[] = [];
    for (let e = m.shift(); e !== undefined; e = m.shift()) order.push(e.key);
    assert.deepEqual(order, [...model.keys()]);
  }), { numRuns: 200 });
});
