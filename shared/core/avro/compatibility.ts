import type { Type } from 'avsc';
import { fail, ok } from '../result/result.ts';
import type { Issue, Result } from '../result/result.ts';
import { parseSchema } from './avro-type.ts';
import type { AvroSchema } from './span-schema.ts';

/**
 * Can a reader using `reader` decode data written with `writer` (Avro schema resolution)?
 * Fails e.g. when the reader has a field the writer lacks and that field has no default, when a
 * field's type changed incompatibly, or when an enum lost a symbol and has no default.
 */
export function checkCompatible(writer: AvroSchema | Type, reader: AvroSchema | Type): Result<void> {
  const w = toType(writer, 'writer');
  const r = toType(reader, 'reader');
  const issues: Issue[] = [...(w.ok ? [] : w.issues), ...(r.ok ? [] : r.issues)];
  if (!w.ok || !r.ok) return fail(issues);
  try {
    r.value.createResolver(w.value);
    return ok(undefined);
  } catch (e) {
    return fail([{ path: '', message: `reader cannot read writer data: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

function toType(schema: AvroSchema | Type, role: string): Result<Type> {
  if (typeof schema === 'object' && 'createResolver' in schema) return { ok: true, value: schema as Type };
  const parsed = parseSchema(schema as AvroSchema);
  return parsed.ok ? parsed : fail(parsed.issues.map((i) => ({ path: role, message: i.message })));
}
