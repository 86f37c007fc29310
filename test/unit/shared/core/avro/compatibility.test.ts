import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatible } from '../../../../../shared/core/avro/compatibility.ts';
import { SPAN_SCHEMA } from '../../../../../shared/core/avro/span-schema.ts';
import type { AvroField, AvroRecordSchema } from '../../../../../shared/core/avro/span-schema.ts';

const withField = (field: AvroField): AvroRecordSchema => ({ ...SPAN_SCHEMA, fields: [...SPAN_SCHEMA.fields, field] });

test('a field added with a default is compatible (old data reads with the default)', () => {
  const next = withField({ name: 'meshCluster', type: ['null', 'string'], default: null });
  assert.deepEqual(checkCompatible(SPAN_SCHEMA, next), { ok: true, value: undefined });
});

test('a field added without a default is detected', () => {
  const next = withField({ name: 'meshCluster', type: 'string' });
  const result = checkCompatible(SPAN_SCHEMA, next);
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.issues[0]?.message ?? '' : '', /meshCluster/);
});

test('a retyped field is detected', () => {
  const next: AvroRecordSchema = {
    ...SPAN_SCHEMA,
    fields: SPAN_SCHEMA.fields.map((f) => (f.name === 'traceId' ? { ...f, type: 'long' } : f)),
  };
  assert.equal(checkCompatible(SPAN_SCHEMA, next).ok, false);
});

test('a removed field is fine for the reader (writer data is skipped)', () => {
  const next: AvroRecordSchema = { ...SPAN_SCHEMA, fields: SPAN_SCHEMA.fields.filter((f) => f.name !== 'debug') };
  assert.equal(checkCompatible(SPAN_SCHEMA, next).ok, true);
});

test('an invalid schema is an issue, not an exception', () => {
  const result = checkCompatible({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] }, SPAN_SCHEMA);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.issues[0]?.path, 'writer');
});
