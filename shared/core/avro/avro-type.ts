import avro from 'avsc';
import type { Type } from 'avsc';
import { fail, ok } from '../result/result.ts';
import type { Result } from '../result/result.ts';
import { fingerprint64 } from './fingerprint.ts';
import type { AvroSchema } from './span-schema.ts';

/**
 * avsc parsing options used everywhere in meshray: `["null", T]` unions decode to `null` or a bare
 * `T` (no wrapper objects), records are plain objects. Longs use avsc's default long type, which
 * refuses values beyond Number.MAX_SAFE_INTEGER on both encode and decode (micros fit today).
 */
const PARSE_OPTIONS = { wrapUnions: 'auto', omitRecordMethods: true } as const;

/** Parses a schema literal into an avsc Type (each call gets its own registry of named types:
 *  avsc stores the registry in the options object it is given, so never share one). */
export function parseSchema(schema: AvroSchema): Result<Type> {
  try {
    return ok(avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0], { ...PARSE_OPTIONS, registry: {} }));
  } catch (e) {
    return fail([{ path: '', message: `invalid Avro schema: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

/** Like parseSchema, for the literals shipped in this folder: an invalid one is a bug. */
export function parseKnownSchema(schema: AvroSchema): Type {
  const parsed = parseSchema(schema);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('; '));
  return parsed.value;
}

/** The Avro Parsing Canonical Form (avsc's `schema()` without attributes is exactly that). */
export function canonicalForm(type: Type): string {
  return JSON.stringify(type.schema());
}

/** CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form, 16 hex digits. */
export function fingerprintOf(type: Type): string {
  return fingerprint64(canonicalForm(type));
}
