import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint64 } from '../../../../../shared/core/avro/fingerprint.ts';

// Published CRC-64-AVRO vectors (Apache Avro share/test/data/schema-tests.txt), signed i64 there.
const VECTORS: readonly (readonly [string, bigint])[] = [
  ['"null"', 7195948357588979594n],
  ['"boolean"', -6970731678124411036n],
  ['"int"', 8247732601305521295n],
  ['"long"', -3434872931120570953n],
  ['"string"', -8142146995180207161n],
  ['{"name":"foo","type":"fixed","size":15}', 1756455273707447556n],
  ['{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', 7843277075252814651n],
];

test('fingerprint64 matches the Avro specification test vectors', () => {
  for (const [canonical, signed] of VECTORS) {
    assert.equal(fingerprint64(canonical), BigInt.asUintN(64, signed).toString(16).padStart(16, '0'), canonical);
  }
});

test('fingerprint64 is 16 lowercase hex digits', () => {
  assert.match(fingerprint64(''), /^[0-9a-f]{16}$/);
  assert.match(fingerprint64('ü'), /^[0-9a-f]{16}$/);
});
