/** Zipkin v2 JSON (`POST /api/v2/spans`, Envoy `HTTP_JSON`) → model spans. */
import type { Issue, Result } from '../result/result.ts';
import { ok } from '../result/result.ts';
import type { Span } from './span.ts';
import { parseJsonArray } from './parse-json.ts';
import { refusalOf, strictBatch, type RefusedSpan, type SpanBatch } from './batch.ts';
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
  timestampUnitFactorOf,
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
  const spans: Span[] = [];
  const refused: RefusedSpan[] = [];
  const repairs: UnitRepairs = { unit: false };
  let timestampUnitRepairs = 0;
  for (let i = 0; i < list.length; i++) {
    const index = firstIndex + i;
    const issues: Issue[] = [];
    repairs.unit = false;
    const span = readSpanV2(list[i], `spans[${index}]`, issues, repairs);
    if (span !== undefined && issues.length === 0) {
      spans.push(span);
      if (repairs.unit) timestampUnitRepairs += 1;
    } else {
      refused.push(refusalOf(index, issues));
    }
  }
  return { spans, refused, timestampUnitRepairs };
}

/** One v2 span object; `undefined` (with issues pushed) when invalid. */
function readSpanV2(value: unknown, base: string, issues: Issue[], repairs: UnitRepairs): Span | undefined {
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
  // A timestamp in epoch ms/s is repaired, and its duration is taken to be in the same unit.
  const factor = timestampUnitFactorOf(value.timestamp);
  if (factor !== 1) repairs.unit = true;
  const timestampMicros = readMicros(value.timestamp, base, 'timestamp', issues, factor);
  const durationMicros = readMicros(value.duration, base, 'duration', issues, factor);
  const localEndpoint = readEndpoint(value.localEndpoint, base, 'localEndpoint', issues);
  const remoteEndpoint = readEndpoint(value.remoteEndpoint, base, 'remoteEndpoint', issues);
  const annotations = readAnnotations(value.annotations, base, issues, repairs);
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
