import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { anyText as anyCodePoints } from '../../../../support/arbitraries.ts';
import { JsonObjectWriter, numberJson, quoteJson } from '../../../../../shared/core/xray/json.ts';

const anyText = fc.oneof(fc.string(), anyCodePoints(), fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', '\ud800', '\udc00x', '😀', 'é'));

/** ES2024's String.prototype.toWellFormed (Node ≥ 20). */
const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

test('quoteJson is JSON.stringify of the string with each lone surrogate as U+FFFD', () => {
  fc.assert(fc.property(anyText, (value) => assert.equal(quoteJson(value), JSON.stringify(toWellFormed(value)))), { numRuns: 2000 });
  assert.equal(quoteJson('a\ud800b'), '"a\ufffdb"');
  assert.equal(quoteJson('\udc00\ud83d\ude00'), '"\ufffd😀"');
  assert.equal(quoteJson('"😀"'), JSON.stringify('"😀"'));
});

test('numberJson is JSON.stringify for any number', () => {
  for (const n of [0, 1.5, 1561141508.707487, 1e21, 5e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity]) {
    assert.equal(numberJson(n), JSON.stringify(n));
  }
  fc.assert(fc.property(fc.double(), (n) => assert.equal(numberJson(n), JSON.stringify(n))));
});

test('JsonObjectWriter writes members in call order, like JSON.stringify of the object built in that order (strings well-formed)', () => {
  fc.assert(
    fc.property(anyText, fc.double(), fc.boolean(), (text, n, withNested) => {
      const w = new JsonObjectWriter().string('name', text).number('start_time', n);
      const expected: Record<string, unknown> = { name: toWellFormed(text), start_time: n };
      if (withNested) {
        w.raw('http', new JsonObjectWriter().string('method', text).close());
        expected['http'] = { method: toWellFormed(text) };
      }
      assert.equal(w.close(), JSON.stringify(expected));
      assert.equal(`{${w.members()}}`, w.close());
    }),
  );
  assert.equal(new JsonObjectWriter().close(), '{}');
});
