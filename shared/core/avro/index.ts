/** Public API of the Avro span codec (pure: avsc only, no I/O). */
export { decodeSpan, decodeSpans, encodeSpan, encodeSpanItems, isSpanListFingerprint, spanItemValueOf, spanListValueOf, SPAN_LIST_SCHEMA_FINGERPRINT, SPAN_SCHEMA_FINGERPRINT } from './span-codec.ts';
export { SPAN_LIST_SCHEMA, SPAN_SCHEMA, UNKNOWN_KIND_SYMBOL } from './span-schema.ts';
export type { AvroField, AvroRecordSchema, AvroSchema } from './span-schema.ts';
export { SPAN_SCHEMA_HISTORY } from './span-schema-history.ts';
export type { SpanSchemaVersion } from './span-schema-history.ts';
export { checkCompatible } from './compatibility.ts';
export { canonicalForm, fingerprintOf, parseSchema } from './avro-type.ts';
export { fingerprint64 } from './fingerprint.ts';
