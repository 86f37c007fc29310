import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatible } from '../../../../../shared/core/avro/compatibility.ts';
import { fingerprintOf, parseKnownSchema } from '../../../../../shared/core/avro/avro-type.ts';
import { decodeSpans, SPAN_LIST_SCHEMA_FINGERPRINT } from '../../../../../shared/core/avro/span-codec.ts';
import { SPAN_LIST_SCHEMA, SPAN_SCHEMA } from '../../../../../shared/core/avro/span-schema.ts';
import { SPAN_SCHEMA_HISTORY } from '../../../../../shared/core/avro/span-schema-history.ts';

test('released schemas are unchanged: each pinned fingerprint matches its schema', () => {
  for (const v of SPAN_SCHEMA_HISTORY) {
    const actual = fingerprintOf(parseKnownSchema(v.schema));
    assert.equal(
      actual, v.fingerprint,
      `span schema v${v.version} changed after release (fingerprint now ${actual}); `
        + 'copy the released literal into span-schema-history.ts and release a new version instead',
    );
  }
});

test('history: versions ascend from 1 and fingerprints are unique', () => {
  assert.deepEqual(SPAN_SCHEMA_HISTORY.map((v) => v.version), SPAN_SCHEMA_HISTORY.map((_, i) => i + 1));
  const fingerprints = SPAN_SCHEMA_HISTORY.map((v) => v.fingerprint);
  assert.equal(new Set(fingerprints).size, fingerprints.length);
});

test('what receivers write (the span-list schema) is the latest released version', () => {
  assert.equal(SPAN_SCHEMA_HISTORY.at(-1)?.fingerprint, SPAN_LIST_SCHEMA_FINGERPRINT,
    `SPAN_LIST_SCHEMA (fingerprint ${SPAN_LIST_SCHEMA_FINGERPRINT}) is not released: append it to SPAN_SCHEMA_HISTORY`);
});

test('the current schemas can read data written by every released version, of either shape', () => {
  for (const v of SPAN_SCHEMA_HISTORY) {
    const reader = v.shape === 'span' ? SPAN_SCHEMA : SPAN_LIST_SCHEMA;
    assert.deepEqual(checkCompatible(v.schema, reader), { ok: true, value: undefined }, `v${v.version}`);
    // And really decodes one such record, found by its fingerprint.
    const writer = parseKnownSchema(v.schema);
    const record = writer.random() as unknown as Record<string, unknown>;
    const decoded = decodeSpans(writer.toBuffer(record), v.fingerprint);
    assert.ok(decoded.ok, `v${v.version}: ${JSON.stringify(decoded)}`);
    const written = v.shape === 'span' ? [record] : (record['spans'] as Record<string, unknown>[]);
    assert.deepEqual(decoded.value.map((s) => s.traceId), written.map((s) => s['traceId']));
  }
});
