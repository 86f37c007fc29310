/** Zipkin v2 JSON (`POST /api/v2/spans`, Envoy `HTTP_JSON`) → model spans. */
import type { Issue, Result } from '../result/result.ts';
import { ok } from '../result/result.ts';
import type { Span } from './span.ts';
import { parseJsonArray } from './parse-json.ts';
import { keepSpan, readSpanBatch, strictBatch, type SpanBatch } from './batch.ts';
import {
  assembleSpan,
  isSpanObject,
  reportV1SpanInV2,
  readAnnotations,
  readEndpoint,
  readFlag,
  readKind,
  readLowercaseText,
  readSpanIds,
  readTags,
  readTiming,
  type UnitRepairs,
} from './validate.ts';

/** Decodes a v2 JSON list of spans; any invalid span fails the whole body with every issue found. */
export function decodeJsonV2(body: Uint8Array | string): Result<Span[]> {
  return strictBatch(decodeJsonV2Batch(body));
}

/**
 * Decodes a v2 JSON list of spans span by span: only a body that is not a JSON array fails; a span still
 * invalid after normalisation is refused alone (see batch.ts).
 */
export function decodeJsonV2Batch(body: Uint8Array | string): Result<SpanBatch> {
  const parsed = parseJsonArray(body);
  if (!parsed.ok) return parsed;
  return ok(readSpansV2(parsed.value, 0));
}

/** Reads already-parsed v2 span objects; `firstIndex` numbers them (for ndjson lines). */
export function readSpansV2(list: readonly unknown[], firstIndex: number): SpanBatch {
  return readSpanBatch(list, firstIndex, readSpanV2, keepSpan);
}

/** One v2 span object; `undefined` (with issues pushed) when invalid. */
function readSpanV2(value: unknown, base: string, issues: Issue[], repairs: UnitRepairs): Span | undefined {
  if (!isSpanObject(value, base, issues)) return undefined;
  const before = issues.length;
  const { traceId, id, parentId } = readSpanIds(value, base, issues);
  const kind = readKind(value.kind, base, issues);
  const name = readLowercaseText(value.name, base, 'name', issues);
  const { timestampMicros, durationMicros } = readTiming(value, base, issues, repairs);
  const localEndpoint = readEndpoint(value.localEndpoint, base, 'localEndpoint', issues);
  const remoteEndpoint = readEndpoint(value.remoteEndpoint, base, 'remoteEndpoint', issues);
  const annotations = readAnnotations(value.annotations, base, issues, repairs);
  const tags = readTags(value.tags, base, issues);
  const debug = readFlag(value.debug, base, 'debug', issues);
  const shared = readFlag(value.shared, base, 'shared', issues);
  reportV1SpanInV2(value, base, issues);
  if (traceId === undefined || id === undefined || issues.length !== before) return undefined;
  // SpanParts, field by field: each decoder lists the same model fields (alike on purpose, read differently).
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
