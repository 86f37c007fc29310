/**
 * Validates X-Ray segment documents against the official schema (v1.0.0, draft-04) plus the rules the
 * schema cannot express. Used by tests and by xray-local; the translator guarantees these by construction
 * and never calls this on its hot path.
 */
import AjvDraft04 from 'ajv-draft-04';
import type { ErrorObject } from 'ajv-draft-04';
import schema from './schema/segment-document-schema-v1.0.0.json' with { type: 'json' };
import { fail, ok } from '../result/result.ts';
import type { Issue, Result } from '../result/result.ts';
import type { SegmentDocument } from './segment-document.ts';
import { MAX_ANNOTATIONS, MAX_DOCUMENT_BYTES, documentBytes } from './limits.ts';
import { XRAY_NAME_PATTERN } from './names.ts';

const OFFICIAL_ANNOTATION_KEY = '^[a-zA-Z0-9_]{1,500}$';
/** X-Ray accepts `.` in annotation keys since 2024; the published schema predates that. */
const ANNOTATION_KEY = '^[a-zA-Z0-9_.]{1,500}$';
const TRACE_ID = /^1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;

/**
 * The official schema, patched: annotation keys may contain `.`, and the name pattern (an expansion of
 * `\p{L}\p{Z}\p{N}` frozen at an old Unicode version) is replaced by the `java_pattern` it was generated
 * from, so letters added to Unicode since are accepted as X-Ray's Java service accepts them.
 */
function patchSchema(official: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(official)) as Record<string, unknown>;
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    const pp = obj['patternProperties'] as Record<string, unknown> | undefined;
    if (pp && OFFICIAL_ANNOTATION_KEY in pp) {
      pp[ANNOTATION_KEY] = pp[OFFICIAL_ANNOTATION_KEY];
      delete pp[OFFICIAL_ANNOTATION_KEY];
    }
    for (const value of Object.values(obj)) visit(value);
  };
  visit(copy);
  const properties = copy['properties'] as Record<string, Record<string, unknown>>;
  const name = properties['name'];
  if (!name) throw new Error('segment schema has no name property');
  name['pattern'] = XRAY_NAME_PATTERN.source;
  return copy;
}

const patched = patchSchema(schema);
/** Stops at the first error: the verdict for every document (most are valid). */
const passesSchema = new AjvDraft04.default({ allErrors: false, strict: false, unicodeRegExp: true }).compile(patched);
/** Collects every error: run only on a document that failed, so its issues name each problem. */
const validateSchema = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: true }).compile(patched);

function joinPath(base: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`;
}

function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^\d+$/.test(key) ? `${path}[${key}]` : joinPath(path, key);
  }
  return path;
}

function issueFromAjv(error: ErrorObject): Issue {
  let path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (typeof params['additionalProperty'] === 'string') path = joinPath(path, params['additionalProperty']);
  if (typeof params['missingProperty'] === 'string') path = joinPath(path, params['missingProperty']);
  return { path: path || 'document', message: error.message ?? error.keyword };
}

function extraIssues(doc: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const traceId = doc['trace_id'];
  if (typeof traceId === 'string' && !TRACE_ID.test(traceId)) {
    issues.push({ path: 'trace_id', message: 'must be 1-<8 hex digits>-<24 hex digits>' });
  }
  for (const key of ['id', 'parent_id'] as const) {
    const value = doc[key];
    if (typeof value === 'string' && !HEX16.test(value)) issues.push({ path: key, message: 'must be 16 hex digits' });
  }
  if (doc['type'] === 'subsegment') {
    if (doc['parent_id'] === undefined) issues.push({ path: 'parent_id', message: 'is required on an independent subsegment' });
    if (doc['trace_id'] === undefined) issues.push({ path: 'trace_id', message: 'is required on an independent subsegment' });
  }
  const start = doc['start_time'];
  const end = doc['end_time'];
  if (end === undefined && doc['in_progress'] !== true) {
    issues.push({ path: 'end_time', message: 'is required unless in_progress is true' });
  }
  if (typeof start === 'number' && typeof end === 'number' && end < start) {
    issues.push({ path: 'end_time', message: 'must not be before start_time' });
  }
  const annotations = doc['annotations'];
  if (annotations !== null && typeof annotations === 'object') {
    const count = Object.keys(annotations).length;
    if (count > MAX_ANNOTATIONS) issues.push({ path: 'annotations', message: `has ${count} keys, at most ${MAX_ANNOTATIONS} allowed` });
  }
  const cause = doc['cause'];
  if (cause !== null && typeof cause === 'object') {
    const exceptions = (cause as Record<string, unknown>)['exceptions'];
    if (Array.isArray(exceptions)) {
      exceptions.forEach((exception: unknown, i) => {
        const id = (exception as Record<string, unknown> | null)?.['id'];
        if (typeof id === 'string' && !HEX16.test(id)) issues.push({ path: `cause.exceptions[${i}].id`, message: 'must be 16 hex digits' });
      });
    }
  }
  return issues;
}

/**
 * Checks a parsed segment document: the patched official schema (incl. name ≤ 200 chars of X-Ray's
 * charset, annotation keys `[A-Za-z0-9_.]`), then what the schema cannot say: trace id `1-8hex-24hex`,
 * 16-hex ids, ≤ 50 annotations, parent_id on independent subsegments, end_time unless in_progress.
 */
export function validateSegmentDocument(doc: unknown): Result<SegmentDocument> {
  const schemaOk = passesSchema(doc) || validateSchema(doc);
  const issues: Issue[] = schemaOk ? [] : (validateSchema.errors ?? []).map(issueFromAjv);
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    issues.push(...extraIssues(doc as Record<string, unknown>));
  }
  return issues.length === 0 ? ok(doc as SegmentDocument) : fail(issues);
}

/** Checks one serialized document as PutTraceSegments receives it: size (≤ 64 KB UTF-8), JSON, then content. */
export function validateSegmentJson(json: string): Result<SegmentDocument> {
  const bytes = documentBytes(json);
  if (bytes > MAX_DOCUMENT_BYTES) {
    return fail([{ path: 'document', message: `is ${bytes} bytes, at most ${MAX_DOCUMENT_BYTES} allowed` }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    return fail([{ path: 'document', message: `is not JSON: ${(error as Error).message}` }]);
  }
  return validateSegmentDocument(doc);
}
