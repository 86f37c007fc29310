import { SPAN_LIST_SCHEMA, SPAN_SCHEMA } from './span-schema.ts';
import type { AvroRecordSchema } from './span-schema.ts';

/**
 * Every released version of the span schema, oldest first. A reader decodes a record by looking
 * up its writer schema here by the fingerprint in the `meshray-schema` Kafka header.
 *
 * Released entries never change: `fingerprint` pins each one (CRC-64-AVRO of its Parsing
 * Canonical Form, 16 hex digits) and a unit test recomputes it. To evolve the schema:
 *   1. copy the literal of the latest released schema here as `const SPAN_SCHEMA_V<n>` and point
 *      its entry at that copy (instead of at SPAN_SCHEMA);
 *   2. edit SPAN_SCHEMA (new fields need defaults), append `{ version: n+1, schema: SPAN_SCHEMA }`
 *      with its new fingerprint (the failing test prints it);
 *   3. release translators (readers) before receivers (writers).
 * A version's `shape` says what its record value holds: one span (`span`, v1), or a list of spans (`span-list`,
 * v2: an array of the span schema's items). Readers take both (decodeSpans); receivers write the latest.
 */
export interface SpanSchemaVersion {
  readonly version: number;
  readonly fingerprint: string;
  readonly schema: AvroRecordSchema;
  readonly shape: 'span' | 'span-list';
}

export const SPAN_SCHEMA_HISTORY: readonly SpanSchemaVersion[] = [
  { version: 1, fingerprint: '21c770ae4a6a8faf', schema: SPAN_SCHEMA, shape: 'span' },
  { version: 2, fingerprint: '13ff031f0d59c474', schema: SPAN_LIST_SCHEMA, shape: 'span-list' },
];
