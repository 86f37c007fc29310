import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../../../../services/xray-local/filter/parse-filter.ts';

test('parses the supported subset into a tree', () => {
  assert.deepEqual(parseFilter(undefined), { ok: true, value: { kind: 'all' } });
  assert.deepEqual(parseFilter('  '), { ok: true, value: { kind: 'all' } });
  assert.deepEqual(parseFilter('service("product page") and !fault AND annotation.a.b != true'), {
    ok: true,
    value: {
      kind: 'and',
      clauses: [
        { kind: 'service', name: 'product page' },
        { kind: 'not', inner: { kind: 'flag', flag: 'fault', value: true } },
        { kind: 'annotation', key: 'a.b', op: '!=', value: true },
      ],
    },
  });
  assert.deepEqual(parseFilter('error = false'), { ok: true, value: { kind: 'flag', flag: 'error', value: false } });
  assert.deepEqual(parseFilter('duration >= 1.5'), { ok: true, value: { kind: 'time', field: 'duration', op: '>=', value: 1.5 } });
  assert.deepEqual(parseFilter('http.url BEGINSWITH "http://a"'), { ok: true, value: { kind: 'http', field: 'url', op: 'BEGINSWITH', value: 'http://a' } });
});

test('refuses what it does not support, saying where', () => {
  for (const [expression, pattern] of [
    ['fault || error', /OR is not supported/],
    ['(fault)', /expected a keyword near "\(fault\)"/],
    ['service("a") { fault }', /unexpected character "\{"/],
    ['annotation.k', /expected a comparison/],
    ['duration > "x"', /expected a number/],
    ['http.method > 3', /expected a "string"/],
    ['"unterminated', /unterminated string/],
    ['fault error', /expected AND/],
  ] as const) {
    const result = parseFilter(expression);
    assert.equal(result.ok, false, expression);
    if (!result.ok) assert.match(result.issues[0]?.message ?? '', pattern, expression);
  }
});
