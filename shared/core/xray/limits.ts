/**
 * X-Ray's hard limits, and the cheap helpers that keep translated strings inside them.
 * Source: X-Ray segment document reference (names ≤ 200 chars, most strings ≤ 250 chars,
 * ≤ 50 annotations, a document ≤ 64 KB).
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
export const MAX_NAME_CHARS = 200;
export const MAX_STRING_CHARS = 250;
export const MAX_ANNOTATIONS = 50;
/** Annotation key length allowed by the official schema. */
export const MAX_ANNOTATION_KEY_CHARS = 500;
/**
 * Annotation string value length allowed by the official schema (segment-document-schema v1.0.0:
 * `annotations` values `maxLength` 1000), counted in UTF-16 units as X-Ray's Java service counts them (a
 * character outside the BMP counts twice: the cut is never past 1,000 characters).
 */
export const MAX_ANNOTATION_VALUE_CHARS = 1000;

const ANNOTATION_KEY_DISALLOWED = /[^A-Za-z0-9_.]/g;
const ANNOTATION_KEY_OK = /^[A-Za-z0-9_.]+$/;

/** `guid:x-request-id` → `guid_x_request_id`: X-Ray annotation keys are `[A-Za-z0-9_.]`, at most MAX_ANNOTATION_KEY_CHARS. */
export function sanitizeAnnotationKey(tag: string): string {
  const key = ANNOTATION_KEY_OK.test(tag) ? tag : tag.replace(ANNOTATION_KEY_DISALLOWED, '_');
  return key.length > MAX_ANNOTATION_KEY_CHARS ? key.slice(0, MAX_ANNOTATION_KEY_CHARS) : key;
}
/**
 * X-Ray's default PutTraceSegments quota: segment documents per second per Region per account (adjustable).
 * Source: AWS General Reference, "AWS X-Ray endpoints and quotas".
 */
export const XRAY_SEGMENTS_PER_SECOND_QUOTA = 2600;

/**
 * Cuts `value` to at most `maxChars` UTF-16 code units without splitting a surrogate pair
 * (so the result is also at most `maxChars` code points, which is what X-Ray counts).
 */
export function truncateChars(value: string, maxChars: number): string {
  if (value.length <= maxChars) return value;
  let end = maxChars;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end);
}

/** UTF-8 size of a serialized document. Skips the byte count when it cannot matter. */
export function documentBytes(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/** True when `json` is certainly within `maxBytes` (≤ 3 UTF-8 bytes per UTF-16 unit) or measured so. */
export function fitsBytes(json: string, maxBytes: number): boolean {
  if (json.length * 3 <= maxBytes) return true;
  if (json.length > maxBytes) return false;
  return documentBytes(json) <= maxBytes;
}

export interface FittedDocument {
  readonly json: string;
  /** True when metadata (and maybe annotations) were dropped to fit. */
  readonly trimmed: boolean;
}

interface Droppable {
  readonly container: Record<string, unknown>;
  readonly group: string;
  readonly key: string;
  readonly bytes: number;
}

function droppablesOf(container: Record<string, unknown>, group: string): Droppable[] {
  const out: Droppable[] = [];
  for (const key of Object.keys(container)) {
    const value = JSON.stringify(container[key]) ?? '';
    out.push({ container, group, key, bytes: documentBytes(JSON.stringify(key)) + documentBytes(value) + 1 });
  }
  return out;
}

/**
 * A tag's metadata value that is the whole of an annotation value cut at MAX_ANNOTATION_VALUE_CHARS: the annotation
 * under the tag's sanitized key holds exactly its cut (annotations.ts splitTags keeps both).
 */
function isCopy(d: Droppable, annotations: Readonly<Record<string, unknown>> | undefined): boolean {
  if (annotations === undefined || d.group === 'meshray') return false;
  const value = d.container[d.key];
  if (typeof value !== 'string' || value.length <= MAX_ANNOTATION_VALUE_CHARS) return false;
  const key = sanitizeAnnotationKey(d.key);
  return Object.hasOwn(annotations, key) && annotations[key] === truncateChars(value, MAX_ANNOTATION_VALUE_CHARS);
}

/** Largest first; ties broken by name so the outcome is deterministic. */
function byBytesDesc(a: Droppable, b: Droppable): number {
  if (a.bytes !== b.bytes) return b.bytes - a.bytes;
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** How many dropped keys `metadata.meshray` names (the count covers them all), and how much of each name. */
export const MAX_DROPPED_NAMES = 20;
export const MAX_DROPPED_NAME_CHARS = 100;

/** `namespace.key` of metadata (the key alone for annotations), cut to MAX_DROPPED_NAME_CHARS, for the first MAX_DROPPED_NAMES dropped. */
function namesOf(dropped: readonly Droppable[]): string[] {
  return dropped.slice(0, MAX_DROPPED_NAMES).map((d) => truncateChars(d.group === '' ? d.key : `${d.group}.${d.key}`, MAX_DROPPED_NAME_CHARS));
}

/**
 * Serializes `doc` (replacing its metadata and annotations with trimmed copies if it must shrink) so it fits `maxBytes`: drops the largest metadata
 * values first, then, if still too large, the largest annotations. `metadata.meshray` says so: `truncated: true`,
 * `droppedMetadataKeys` / `droppedAnnotations` (counts) and `droppedMetadata` / `droppedAnnotationKeys` (the first
 * MAX_DROPPED_NAMES names, largest first; they may cost more metadata, never an annotation nor the document: `<namespace>.<key>`, a tag as `default.<tag>`; a newcomer trial could not tell which tag a 2 MB value
 * was). Undefined when even that does not fit.
 */
export function fitDocument(
  doc: { readonly name: string; annotations?: Record<string, unknown>; metadata?: Record<string, Record<string, unknown>> },
  maxBytes: number,
): FittedDocument | undefined {
  let json = JSON.stringify(doc);
  if (fitsBytes(json, maxBytes)) return { json, trimmed: false };

  // Copy what will be cut: the caller may share these objects between documents.
  const metadata: Record<string, Record<string, unknown>> = {};
  for (const [namespace, bucket] of Object.entries(doc.metadata ?? {})) metadata[namespace] = { ...bucket };
  doc.metadata = metadata;
  if (doc.annotations !== undefined) doc.annotations = { ...doc.annotations };
  const mark = (metadata['meshray'] ??= {});
  mark['truncated'] = true;
  const metadataDroppables: Droppable[] = [];
  for (const namespace of Object.keys(metadata)) {
    if (namespace === 'meshray') continue;
    const bucket = metadata[namespace];
    if (bucket !== undefined) metadataDroppables.push(...droppablesOf(bucket, namespace));
  }
  metadataDroppables.sort(byBytesDesc);
  // A value kept whole beside its annotation (cut to MAX_ANNOTATION_VALUE_CHARS: annotations.ts splitTags) keeps its
  // first 1,000 characters in the annotation: when leaving such values out alone makes the document fit, they go and
  // nothing else does (found by review: kept as the larger, a tag found nowhere else was dropped). Tried on a copy
  // of the metadata, so a failed try leaves the document as it was.
  const copies = metadataDroppables.filter((d) => isCopy(d, doc.annotations));
  if (copies.length > 0) {
    const trial: Record<string, Record<string, unknown>> = {};
    for (const [namespace, bucket] of Object.entries(metadata)) {
      if (namespace === 'meshray') {
        trial[namespace] = bucket;
        continue;
      }
      const kept = Object.entries(bucket).filter(([key]) => !copies.some((c) => c.container === bucket && c.key === key));
      if (kept.length > 0) trial[namespace] = Object.fromEntries(kept); // own properties, `__proto__` included
    }
    mark['droppedMetadataKeys'] = copies.length;
    mark['droppedMetadata'] = namesOf(copies);
    const tried = JSON.stringify({ ...doc, metadata: trial });
    if (fitsBytes(tried, maxBytes)) {
      doc.metadata = trial;
      return { json: tried, trimmed: true };
    }
    delete mark['droppedMetadata'];
  }
  const afterMetadata = dropUntilFits(doc, metadataDroppables, maxBytes, (count) => {
    for (const namespace of Object.keys(metadata)) {
      if (namespace !== 'meshray' && Object.keys(metadata[namespace] ?? {}).length === 0) delete metadata[namespace];
    }
    mark['droppedMetadataKeys'] = count;
    // the names may cost more metadata (what goes first anyway), never an annotation nor the document (below)
    if (count > 0) mark['droppedMetadata'] = namesOf(metadataDroppables.slice(0, count));
  });
  if (afterMetadata !== undefined) return { json: afterMetadata, trimmed: true };
  // Past the metadata, names are added once the counts fit, and only if they fit too (found by review: they
  // made a document drop an annotation, or be refused, that fitted without them).
  delete mark['droppedMetadata'];
  const withNames = (json: string, names: Readonly<Record<string, readonly Droppable[]>>): string => {
    for (const [field, dropped] of Object.entries(names)) if (dropped.length > 0) mark[field] = namesOf(dropped);
    const named = JSON.stringify(doc);
    if (fitsBytes(named, maxBytes)) return named;
    for (const field of Object.keys(names)) delete mark[field];
    return json;
  };
  const metadataDropped = (): Droppable[] => metadataDroppables.slice(0, Number(mark['droppedMetadataKeys'] ?? 0));

  const annotations = doc.annotations;
  if (annotations !== undefined) {
    const annotationDroppables = droppablesOf(annotations, '').sort(byBytesDesc);
    const afterAnnotations = dropUntilFits(doc, annotationDroppables, maxBytes, (count) => {
      if (Object.keys(annotations).length === 0) delete doc.annotations;
      if (count > 0) mark['droppedAnnotations'] = count;
      else delete mark['droppedAnnotations']; // fitted once the metadata's names were left out
    });
    if (afterAnnotations !== undefined) {
      const annotationsDropped = annotationDroppables.slice(0, Number(mark['droppedAnnotations'] ?? 0));
      return { json: withNames(afterAnnotations, { droppedMetadata: metadataDropped(), droppedAnnotationKeys: annotationsDropped }), trimmed: true };
    }
  }
  json = JSON.stringify(doc);
  return fitsBytes(json, maxBytes) ? { json, trimmed: true } : undefined;
}

/** Drops droppables (largest first) in estimated chunks, re-serializing after each chunk. */
function dropUntilFits(doc: object, droppables: readonly Droppable[], maxBytes: number, afterDrop: (count: number) => void): string | undefined {
  let next = 0;
  for (;;) {
    afterDrop(next);
    const json = JSON.stringify(doc);
    const bytes = documentBytes(json);
    if (bytes <= maxBytes) return json;
    if (next >= droppables.length) return undefined;
    // The mark grows with what is dropped (a count a few digits long; in the metadata pass a name for each of the
    // first MAX_DROPPED_NAMES): count that against what a drop frees, and over-drop slightly rather than loop.
    const over = bytes - maxBytes + 16;
    let freed = 0;
    while (next < droppables.length && freed < over) {
      const d = droppables[next] as Droppable;
      delete d.container[d.key];
      freed += d.bytes - (d.group !== '' && next < MAX_DROPPED_NAMES ? documentBytes(JSON.stringify(namesOf([d])[0])) + 1 : 0);
      next += 1;
    }
  }
}
