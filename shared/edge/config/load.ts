import type { z } from 'zod';
import type { Issue, Result } from '../../core/result/result.ts';
import { formatIssues } from '../../core/result/result.ts';
import { MeshrayError } from '../errors/meshray-error.ts';
import { REFUSED_WHEN_EMPTY } from './types.ts';

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

/** Parses the environment against a service's schema, listing every problem; the result is frozen. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Result<DeepReadonly<z.output<S>>> {
  // An empty variable counts as unset, as in most deployment tools.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  // ...except where an empty value would turn a protection off (REFUSED_WHEN_EMPTY)
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  const empty: Issue[] = Object.entries(env).flatMap(([k, v]) => {
    const field = v === '' ? shape?.[k] : undefined;
    const refused = field === undefined ? undefined : REFUSED_WHEN_EMPTY.get(field);
    return refused === undefined ? [] : [{ path: k, message: `is set but empty: ${refused.instead}` }];
  });
  const parsed = schema.safeParse(cleaned);
  if (parsed.success && empty.length === 0) return { ok: true, value: deepFreeze(parsed.data) as DeepReadonly<z.output<S>> };
  const issues: Issue[] = [...empty, ...(parsed.error?.issues ?? []).map((i) => {
    const given = cleaned[String(i.path[0])];
    if (i.code === 'invalid_type' && given === undefined) return { path: i.path.join('.'), message: 'is required' };
    // zod's enum message lists the options but not the value given: name it, as the duration and size checks do.
    if (i.code === 'invalid_value' && given !== undefined && i.path.length === 1) return { path: i.path.join('.'), message: `${i.message}, got "${given}"` };
    // Other messages name the value given when it is a short plain word or number that is no secret, and they do
    // not already (`XRAY_MAX_RETRIES: Too small: expected number to be >=0` said nothing of the -1 given).
    if (given !== undefined && i.path.length === 1 && showsValue(String(i.path[0]), given) && !i.message.includes(`"${given}"`) && !i.message.includes('got ')) {
      return { path: i.path.join('.'), message: `${i.message}, got "${given}"` };
    }
    // An item of a comma-separated list (`KAFKA_BROKERS.0: expected host:port` named an index, not the value):
    // the variable, and the item as given, when it may be shown.
    const at = i.path[1];
    if (given !== undefined && i.path.length === 2 && typeof at === 'number') {
      const item = given.split(',').map((x) => x.trim()).filter((x) => x.length > 0)[at];
      if (item !== undefined) {
        const shown = showsValue(String(i.path[0]), item) ? `"${item}"` : `item ${at + 1}`;
        return { path: String(i.path[0]), message: `${shown}: ${i.message}` };
      }
    }
    return { path: i.path.join('.'), message: i.message };
  })];
  return { ok: false, issues };
}

/**
 * A value an error message may repeat: short, plain (digits, letters, `.-+_:/`: no `@`, `?` or `=`, so no user
 * info or query of a URL), of a variable not named for a secret (or a URL, which may hold one).
 */
const showsValue = (name: string, value: string): boolean =>
  /^[\w.:/+-]{1,40}$/.test(value) && !/TOKEN|PASSWORD|SECRET|KEY|CREDENTIAL|SESSION|URL/.test(name);

/** For composition roots: fail fast with every problem listed. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): DeepReadonly<z.output<S>> {
  const r = parseConfig(schema, env);
  if (!r.ok) {
    // One problem: one line (the CLI prints it as is); several: one per line.
    const listed = r.issues.length === 1 ? ` ${formatIssues(r.issues)}` : `\n${formatIssues(r.issues)}`;
    throw new MeshrayError('CONFIG_INVALID', `invalid configuration:${listed}`, { issues: r.issues });
  }
  return r.value;
}

export type Config<S extends z.ZodType> = DeepReadonly<z.output<S>>;
