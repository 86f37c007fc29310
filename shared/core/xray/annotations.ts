/**
 * Tags → indexed annotations (allowlisted, filterable in the console) and metadata (everything else,
 * grouped into namespaces by the tag's first dotted segment).
 */
import type { AnnotationValue } from './segment-document.ts';
import { MAX_ANNOTATIONS, MAX_ANNOTATION_VALUE_CHARS, sanitizeAnnotationKey, truncateChars } from './limits.ts';
import { quoteJson } from './json.ts';


/** Tag prefixes that get a metadata namespace of their own; every other tag goes to `default`. */
const METADATA_NAMESPACES: ReadonlySet<string> = new Set(['istio', 'http']);

export { sanitizeAnnotationKey };

/**
 * Tag values stay strings (≤ 1,000 chars, MAX_ANNOTATION_VALUE_CHARS: the schema's limit; they were cut at
 * the 250 of other strings, found by review), except `true`/`false`, which become booleans.
 */
export function annotationValueOf(value: string): AnnotationValue {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return truncateChars(value, MAX_ANNOTATION_VALUE_CHARS);
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

/** `metadataNamespaceOf` for the namespaces meshray has, without cutting the tag. */
function fastNamespaceOf(tag: string): string {
  if (tag.startsWith('http.')) return 'http';
  if (tag.startsWith('istio.')) return 'istio';
  return 'default';
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
 * An annotation cut to MAX_ANNOTATION_VALUE_CHARS keeps its whole value in metadata too, so the cut loses
 * nothing (metadata has no per-value limit; a document over 64 KB is trimmed by `fitDocument`, which names
 * what it drops).
 */
export function splitTags(tags: Readonly<Record<string, string>>, allowlist: readonly string[]): SplitTags {
  let annotations: Record<string, AnnotationValue> | undefined;
  let placed: Set<string> | undefined;
  let cut: Set<string> | undefined;
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
    if (value.length > MAX_ANNOTATION_VALUE_CHARS) (cut ??= new Set()).add(tag);
  }
  const metadata: Record<string, Record<string, unknown>> = {};
  const keys = Object.keys(tags).sort();
  for (const tag of keys) {
    if (placed !== undefined && placed.has(tag) && (cut === undefined || !cut.has(tag))) continue;
    const namespace = metadataNamespaceOf(tag);
    const bucket = (metadata[namespace] ??= {});
    setOwn(bucket, tag, tags[tag]);
  }
  return { annotations, metadata };
}

export interface TagsJson {
  /** The annotations object, serialized; undefined when no allowlisted tag is present. */
  readonly annotations: string | undefined;
  /** The tag namespaces of the metadata object (`"default":{…},"http":{…}`), without braces; may be empty. */
  readonly metadataMembers: string;
}

/** Exactly `JSON.stringify` of what `splitTags` gives, without building those objects in the common case. */
export function serializeTags(tags: Readonly<Record<string, string>>, allowlist: readonly string[]): TagsJson {
  return serializeTagsDirectly(tags, allowlist) ?? serializeSplitTags(tags, allowlist);
}

function serializeSplitTags(tags: Readonly<Record<string, string>>, allowlist: readonly string[]): TagsJson {
  const { annotations, metadata } = splitTags(tags, allowlist);
  return { annotations: annotations === undefined ? undefined : JSON.stringify(annotations), metadataMembers: JSON.stringify(metadata).slice(1, -1) };
}

/**
 * An allowlist the direct serializer can follow: every tag gets a distinct key and all fit (≤ 50), so a
 * present allowlisted tag is always an annotation. Otherwise undefined, and splitTags decides.
 */
interface DirectAllowlist {
  readonly keys: readonly string[];
  readonly positionByTag: ReadonlyMap<string, number>;
}

const directAllowlists = new WeakMap<readonly string[], DirectAllowlist | null>();

function directAllowlistOf(allowlist: readonly string[]): DirectAllowlist | undefined {
  let direct = directAllowlists.get(allowlist);
  if (direct === undefined) {
    const entries = entriesOf(allowlist);
    const keys = entries.map((e) => e.key);
    const simple = entries.length <= MAX_ANNOTATIONS && new Set(keys).size === keys.length;
    direct = simple ? { keys, positionByTag: new Map(entries.map((e, i) => [e.tag, i])) } : null;
    directAllowlists.set(allowlist, direct);
  }
  return direct ?? undefined;
}

/** True for `0`-`9`: only such keys can be array indices, which JS objects (and so JSON.stringify) put first. */
function startsWithDigit(key: string): boolean {
  const code = key.charCodeAt(0);
  return code >= 0x30 && code <= 0x39;
}

/**
 * Writes the annotations and metadata members straight from the tags. Undefined (use splitTags) when the
 * allowlist is not simple, a tag value is not a string, or a key could be an array index.
 */
function serializeTagsDirectly(tags: Readonly<Record<string, string>>, allowlist: readonly string[]): TagsJson | undefined {
  const direct = directAllowlistOf(allowlist);
  if (direct === undefined) return undefined;
  let annotated: (string | undefined)[] | undefined;
  const metadata = new MetadataMembers();
  for (const tag of Object.keys(tags).sort()) {
    const value = tags[tag];
    if (typeof value !== 'string' || startsWithDigit(tag)) return undefined;
    const position = direct.positionByTag.get(tag);
    if (position === undefined || value.length > MAX_ANNOTATION_VALUE_CHARS) metadata.add(fastNamespaceOf(tag), `${quoteJson(tag)}:${quoteJson(value)}`);
    if (position !== undefined) (annotated ??= new Array<string | undefined>(direct.keys.length))[position] = value;
  }
  return { annotations: annotated === undefined ? undefined : annotationsJsonOf(annotated, direct.keys), metadataMembers: metadata.json() };
}

/** `{"key":value,…}` in allowlist order. */
function annotationsJsonOf(values: readonly (string | undefined)[], keys: readonly string[]): string {
  let json = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === undefined) continue;
    const annotation = annotationValueOf(value);
    const member = `${quoteJson(keys[i] as string)}:${typeof annotation === 'string' ? quoteJson(annotation) : String(annotation)}`;
    json = json === '' ? member : `${json},${member}`;
  }
  return `{${json}}`;
}

/** Metadata namespaces in the order of their first tag, each with its tags' members in order. */
class MetadataMembers {
  readonly #members = new Map<string, string>();

  add(namespace: string, member: string): void {
    const before = this.#members.get(namespace);
    this.#members.set(namespace, before === undefined ? member : `${before},${member}`);
  }

  json(): string {
    let json = '';
    for (const [namespace, members] of this.#members) {
      const bucket = `${quoteJson(namespace)}:{${members}}`;
      json = json === '' ? bucket : `${json},${bucket}`;
    }
    return json;
  }
}
