import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeName, XRAY_NAME_PATTERN } from '../../../../../shared/core/xray/names.ts';

test('sanitizeName table', () => {
  const cases: [string | undefined, string][] = [
    ['productpage.default', 'productpage.default'],
    ['details.default.svc.cluster.local:9080/*', 'details.default.svc.cluster.local:9080/_'],
    ['a<b>c|d', 'a_b_c_d'],
    ['GET /api?x=1&y=2', 'GET /api_x=1&y=2'],
    ['サービス', 'サービス'],
    ['emoji 🚀', 'emoji _'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ];
  for (const [raw, expected] of cases) {
    assert.equal(sanitizeName(raw), expected);
    assert.match(sanitizeName(raw), XRAY_NAME_PATTERN);
  }
});

test('names are cut to 200 code points without splitting surrogate pairs', () => {
  assert.equal(sanitizeName('a'.repeat(300)).length, 200);
  const wide = sanitizeName('𝐀'.repeat(300)); // a letter outside the BMP
  assert.equal([...wide].length, 200);
  assert.match(wide, XRAY_NAME_PATTERN);
});
