/**
 * Tags → indexed annotations (allowlisted, filterable in the console) and metadata (everything else,
 * grouped into namespaces by the tag's first dotted segment).
 */
import type { AnnotationValue } from './segment-document.ts';
import { MAX_ANNOTATIONS, MAX_ANNOTATION_KEY_CHARS, MAX_STRING_CHARS, truncateChars } from './limits.ts';

const ANNOTATION_KEY_DISALLOWED = /[^A-Za-z0-9_.]/g;
const ANNOTATION_KEY_OK = /^[A-Za-z0-9_.]+$/;

/** Tag prefixes that get a metadata namespace of their own; every other tag goes to `default`. */
const METADATA_NAMESPACES: ReadonlySet<string> = new Set(['istio', 'http']);

/** `guid:x-request-id` → `guid_x_request_id`: X-Ray annotation keys are `[A-Za-z0-9_.]`. */
export function sanitizeAnnotationKey(tag: string): string {
  const key = ANNOTATION_KEY_OK.test(tag) ? tag : tag.replace(ANNOTATION_KEY_DISALLOWED, '_');
  return key.length > MAX_ANNOTATION_KEY_CHARS ? key.slice(0, MAX_ANNOTATION_KEY_CHARS) : key;
}

/** Tag values stay strings (≤ 250 chars), except `true`/`false`, which become booleans. */
export function annotationValueOf(value: string): AnnotationValue {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return truncateChars(value, MAX_STRING_CHARS);
}

/**
 * Metadata namespace of a tag, by its first dotted segment: `istio.*` → `istio`, `http.*` → `http`,
 * anything else (`peer.address`, `upstream_cluster.name`, `guid:x-request-id`) → `default`. A fixed set
 * keeps the console's metadata tabs few, and never collides with meshray's own `zipkin` / `meshray`.
 */
export function metadataNamespaceOf(tag: string): string {
  const dot = tag.indexOf('.');
  if (dot <= 0) return 'default';
  const prefix = tag.slice(0, dot);
  return METADATA_NAMESPACES.has(prefix) ? prefix : 'default';
}

export interface SplitTags {
  readonly annotations: Record<string, AnnotationValue> | undefined;
  readonly metadata: Record<string, Record<string, unknown>>;
}

interface AllowlistEntry {
  readonly tag: string;
  readonly key: string;
}

/** Sanitised keys per allowlist, computed once per allowlist array (configs are long-lived). */
const allowlistEntries = new WeakMap<readonly string[], readonly AllowlistEntry[]>();

function entriesOf(allowlist: readonly string[]): readonly AllowlistEntry[] {
  let entries = allowlistEntries.get(allowlist);
  if (entries === undefined) {
    entries = allowlist.map((tag) => ({ tag, key: sanitizeAnnotationKey(tag) }));
    allowlistEntries.set(allowlist, entries);
  }
  return entries;
}

/** Sets `obj[key]` as an own data property even when the key is `__proto__`. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Allowlisted tags (in allowlist order, first 50 present, first key wins after sanitising) become
 * annotations; every other tag (including allowlisted ones that did not fit) goes to
 * `metadata[namespace][tag]`, tags sorted so key order does not depend on the order they arrived in.
 */
export function splitTags(tags: Readonly<Record<string, string>>, allowlist: readonly string[]): SplitTags {
  let annotations: Record<string, AnnotationValue> | undefined;
  let placed: Set<string> | undefined;
  for (const { tag, key } of entriesOf(allowlist)) {
    if (placed !== undefined && placed.size >= MAX_ANNOTATIONS) break;
    if (!Object.hasOwn(tags, tag)) continue;
    const value = tags[tag];
    if (value === undefined) continue;
    annotations ??= {};
    placed ??= new Set();
    if (Object.hasOwn(annotations, key)) continue;
    setOwn(annotations, key, annotationValueOf(value));
    placed.add(tag);
  }
  const metadata: Record<string, Record<string, unknown>> = {};
  const keys = Object.keys(tags).sort();
  for (const tag of keys) {
    if (placed !== undefined && placed.has(tag)) continue;
    const namespace = metadataNamespaceOf(tag);
    const bucket = (metadata[namespace] ??= {});
    setOwn(bucket, tag, tags[tag]);
  }
  return { annotations, metadata };
}
