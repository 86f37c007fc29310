/** Zipkin v2 JSON (`POST /api/v2/spans`, Envoy `HTTP_JSON`) → model spans. */
import type { Issue, Result } from '../result/result.ts';
import { fail, ok } from '../result/result.ts';
import type { Span } from './span.ts';
import { parseJsonArray } from './parse-json.ts';
import {
  assembleSpan,
  describe,
  isPlainObject,
  readAnnotations,
  readEndpoint,
  readFlag,
  readKind,
  readLowercaseText,
  readMicros,
  readParentId,
  readSpanId,
  readTags,
  readTraceId,
} from './validate.ts';

/** Decodes a v2 JSON list of spans; any invalid span fails the whole body with every issue found. */
export function decodeJsonV2(body: Uint8Array | string): Result<Span[]> {
  const parsed = parseJsonArray(body);
  if (!parsed.ok) return parsed;
  const list = parsed.value;
  const issues: Issue[] = [];
  const spans: Span[] = [];
  for (let i = 0; i < list.length; i++) {
    const span = readSpanV2(list[i], `spans[${i}]`, issues);
    if (span !== undefined && issues.length === 0) spans.push(span);
  }
  return issues.length === 0 ? ok(spans) : fail(issues);
}

/** One v2 span object; `undefined` (with issues pushed) when invalid. */
function readSpanV2(value: unknown, base: string, issues: Issue[]): Span | undefined {
  if (!isPlainObject(value)) {
    issues.push({ path: base, message: `must be a span object, got ${describe(value)}` });
    return undefined;
  }
  const before = issues.length;
  const traceId = readTraceId(value.traceId, base, issues);
  const id = readSpanId(value.id, base, issues);
  const parentId = readParentId(value.parentId, base, issues);
  const kind = readKind(value.kind, base, issues);
  const name = readLowercaseText(value.name, base, 'name', issues);
  const timestampMicros = readMicros(value.timestamp, base, 'timestamp', issues);
  const durationMicros = readMicros(value.duration, base, 'duration', issues);
  const localEndpoint = readEndpoint(value.localEndpoint, base, 'localEndpoint', issues);
  const remoteEndpoint = readEndpoint(value.remoteEndpoint, base, 'remoteEndpoint', issues);
  const annotations = readAnnotations(value.annotations, base, issues);
  const tags = readTags(value.tags, base, issues);
  const debug = readFlag(value.debug, base, 'debug', issues);
  const shared = readFlag(value.shared, base, 'shared', issues);
  if (traceId === undefined || id === undefined || issues.length !== before) return undefined;
  return assembleSpan({
    traceId,
    id,
    parentId,
    kind,
    name,
    timestampMicros,
    durationMicros,
    localEndpoint,
    remoteEndpoint,
    annotations,
    tags,
    debug,
    shared,
  });
}
