/**
 * The Avro record carried on the span topic: `meshray.zipkin.Span`, mirroring `shared/core/zipkin/span.ts`.
 *
 * Evolution rules (checked by test/unit/shared/core/avro/span-schema-history.test.ts):
 * - This literal is the *current* schema. Once released it is listed in `span-schema-history.ts`
 *   with its pinned fingerprint; changing it afterwards means releasing a new version: copy the
 *   released literal into the history as a frozen `vN` constant, then edit this one and append it.
 * - Every field added later must have a default (`null` in a `["null", T]` union, `[]`, `{}`),
 *   so that the current schema can read records written by every released version.
 * - Never rename or retype a field in place; add a new one and stop writing the old one.
 * - Enum symbols are only ever appended; `SpanKind` has a reader default (`UNKNOWN`) so a reader
 *   that meets a symbol it does not know decodes it as "kind absent" instead of failing.
 * - Roll out readers (translators) before writers (receivers): a reader only decodes records whose
 *   writer schema fingerprint it knows.
 */

/** The JSON shape of an Avro schema (just enough typing for the literals in this folder). */
export type AvroSchema =
  | string
  | readonly AvroSchema[]
  | AvroRecordSchema
  | { readonly type: string; readonly [attribute: string]: unknown };

export interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly doc?: string;
  readonly default?: unknown;
}

export interface AvroRecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

/** Written for a span whose kind is absent; also the reader default for symbols added later. */
export const UNKNOWN_KIND_SYMBOL = 'UNKNOWN';

export const SPAN_SCHEMA: AvroRecordSchema = {
  type: 'record',
  name: 'Span',
  namespace: 'meshray.zipkin',
  doc: 'One Zipkin span in meshray\'s internal model (shared/core/zipkin/span.ts).',
  fields: [
    { name: 'traceId', type: 'string', doc: 'Lowercase hex, 16 or 32 characters.' },
    { name: 'id', type: 'string', doc: 'Lowercase hex, 16 characters.' },
    { name: 'parentId', type: ['null', 'string'], default: null },
    {
      name: 'kind',
      type: [
        'null',
        {
          type: 'enum',
          name: 'SpanKind',
          symbols: ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER', UNKNOWN_KIND_SYMBOL],
          default: UNKNOWN_KIND_SYMBOL,
        },
      ],
      default: null,
    },
    { name: 'name', type: ['null', 'string'], default: null },
    { name: 'timestampMicros', type: ['null', 'long'], default: null, doc: 'Epoch microseconds.' },
    { name: 'durationMicros', type: ['null', 'long'], default: null },
    {
      name: 'localEndpoint',
      type: [
        'null',
        {
          type: 'record',
          name: 'Endpoint',
          fields: [
            { name: 'serviceName', type: ['null', 'string'], default: null },
            { name: 'ipv4', type: ['null', 'string'], default: null },
            { name: 'ipv6', type: ['null', 'string'], default: null },
            { name: 'port', type: ['null', 'int'], default: null },
          ],
        },
      ],
      default: null,
    },
    { name: 'remoteEndpoint', type: ['null', 'meshray.zipkin.Endpoint'], default: null },
    {
      name: 'annotations',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Annotation',
          fields: [
            { name: 'timestampMicros', type: 'long' },
            { name: 'value', type: 'string' },
          ],
        },
      },
      default: [],
    },
    { name: 'tags', type: { type: 'map', values: 'string' }, default: {} },
    { name: 'debug', type: ['null', 'boolean'], default: null },
    { name: 'shared', type: ['null', 'boolean'], default: null },
  ],
};

/**
 * Span schema v2, the value of a span-list record: the spans of one linger window whose traces map to one
 * partition (shared/core/span-record/partition.ts). Its binary form is an Avro array of v1 `Span` datums, so
 * each item is itself a v1 record value (a dead letter carries one item alone, with the v1 fingerprint).
 */
export const SPAN_LIST_SCHEMA: AvroRecordSchema = {
  type: 'record',
  name: 'SpanList',
  namespace: 'meshray.zipkin',
  doc: 'The spans of one Kafka record: all of traces that map to the record\'s partition.',
  fields: [{ name: 'spans', type: { type: 'array', items: SPAN_SCHEMA } }],
};
