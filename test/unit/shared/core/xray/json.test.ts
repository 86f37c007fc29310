import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { anyText as anyCodePoints } from '../../../../support/arbitraries.ts';
import { JsonObjectWriter, numberJson, quoteJson, secondsJson } from '../../../../../shared/core/xray/json.ts';

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

test('secondsJson is JSON.stringify of micros / 1e6, for every micros', () => {
  const edges = [0, 1, 10, 999_999, 1_000_000, 1_000_001, 1561141508707487, 1561141508700000, 1561141508000000, 1561141508000010, 4e15 - 1, 4e15, 4e15 + 1, Number.MAX_SAFE_INTEGER, -1, -1561141508707487, 1.5, 2 ** 53, NaN, Infinity];
  for (const micros of edges) assert.equal(secondsJson(micros), JSON.stringify(micros / 1e6), String(micros));
  // Whole microseconds over the whole fast range (to 4e15, year 2096) and around today's epoch, then any double.
  fc.assert(fc.property(fc.integer({ min: 0, max: 4e15 }), (micros) => assert.equal(secondsJson(micros), JSON.stringify(micros / 1e6))), { numRuns: 5000 });
  fc.assert(fc.property(fc.integer({ min: 1.7e15, max: 1.8e15 }), (micros) => assert.equal(secondsJson(micros), JSON.stringify(micros / 1e6))), { numRuns: 5000 });
  fc.assert(fc.property(fc.double(), (micros) => assert.equal(secondsJson(micros), JSON.stringify(micros / 1e6))));
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
