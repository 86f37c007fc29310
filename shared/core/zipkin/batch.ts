/**
 * Per-span isolation: what a decoder makes of a body whose spans are judged one by one. A span that stays
 * invalid after Zipkin's normalisations is refused alone, named by its index in the body, the field at
 * fault and a reason from a closed set (a Prometheus label); its neighbours are kept.
 */
import type { Issue, Result } from '../result/result.ts';
import { fail, ok } from '../result/result.ts';
import type { Span } from './span.ts';
import type { UnitRepairs } from './validate.ts';

/** Why a span was refused: the field at fault, as a bounded label value. */
export type SpanRefusalReason =
  | 'not_a_span'
  | 'missing_trace_id'
  | 'invalid_trace_id'
  | 'missing_id'
  | 'invalid_id'
  | 'invalid_parent_id'
  | 'invalid_kind'
  | 'invalid_name'
  | 'invalid_timestamp'
  | 'invalid_duration'
  | 'invalid_port'
  | 'invalid_endpoint'
  | 'invalid_annotation'
  | 'invalid_binary_annotation'
  | 'invalid_tag'
  | 'invalid_flag'
  /** A span of the other Zipkin version (v1 keys on the v2 route, or v2 keys on the v1 route). */
  | 'wrong_version'
  /** Encoded alone, larger than a Kafka record may be (the receiver's publish stage refuses it; no decoder does). */
  | 'span_too_large';

export interface RefusedSpan {
  /** Index of the span in the body (a v1 span that became two model spans counts once). */
  readonly index: number;
  /** The field at fault, relative to the span (`traceId`, `localEndpoint.port`); '' for the span itself. */
  readonly field: string;
  readonly reason: SpanRefusalReason;
  /** Every issue found in the span (`spans[3].traceId: ...`). */
  readonly issues: readonly Issue[];
}

export interface SpanBatch {
  /** The accepted spans, in body order. */
  readonly spans: Span[];
  /**
   * The body index of each accepted span, parallel to `spans` (a v1 span that became two model spans gives
   * its index twice): a stage after decoding that refuses an accepted span names it as the decoders do.
   */
  readonly bodyIndexes: number[];
  readonly refused: RefusedSpan[];
  /** Body spans whose epoch milliseconds/seconds were converted to microseconds. */
  readonly timestampUnitRepairs: number;
}

const SPAN_PREFIX = /^spans\[\d+\]\.?/;

/** The metric reason of a refusal: from the first issue's field, and its `code` where it has one. */
function reasonOf(field: string, code: Issue['code']): SpanRefusalReason {
  const top = field.split(/[.[]/)[0] ?? '';
  const leaf = field.slice(field.lastIndexOf('.') + 1);
  switch (top) {
    case '':
      return code === 'wrong_version' ? 'wrong_version' : 'not_a_span';
    case 'traceId':
      return code === 'missing' ? 'missing_trace_id' : 'invalid_trace_id';
    case 'id':
      return code === 'missing' ? 'missing_id' : 'invalid_id';
    case 'parentId':
      return 'invalid_parent_id';
    case 'kind':
      return 'invalid_kind';
    case 'name':
      return 'invalid_name';
    case 'timestamp':
      return 'invalid_timestamp';
    case 'duration':
      return 'invalid_duration';
    case 'localEndpoint':
    case 'remoteEndpoint':
      return leaf === 'port' ? 'invalid_port' : 'invalid_endpoint';
    case 'annotations':
      return leaf === 'port' ? 'invalid_port' : 'invalid_annotation';
    case 'binaryAnnotations':
      return leaf === 'port' ? 'invalid_port' : 'invalid_binary_annotation';
    case 'tags':
      return 'invalid_tag';
    default:
      return 'invalid_flag';
  }
}

/** The refusal of span `index` from its issues (at least one); field and reason come from the first. */
export function refusalOf(index: number, issues: readonly Issue[]): RefusedSpan {
  const first = issues[0] as Issue;
  const field = first.path.replace(SPAN_PREFIX, '');
  return { index, field, reason: reasonOf(field, first.code), issues };
}

/** All-or-nothing view of a batch, for callers that take a body only when every span is valid. */
export function strictBatch(batch: Result<SpanBatch>): Result<Span[]> {
  if (!batch.ok) return batch;
  if (batch.value.refused.length === 0) return ok(batch.value.spans);
  return fail(batch.value.refused.flatMap((r) => r.issues));
}

/**
 * Reads a decoded list span by span, the loop every decoder shares: `read` judges one item (pushing its
 * issues, setting `repairs.unit` when it repaired a timestamp unit) and answers what it became; an item
 * with any issue is refused alone, numbered `firstIndex + i`; `keep` adds a valid one to the spans (a v1
 * span may give two). `timestampUnitRepairs` counts the items repaired.
 */
export function readSpanBatch<I, T>(
  list: readonly I[],
  firstIndex: number,
  read: (item: I, base: string, issues: Issue[], repairs: UnitRepairs) => T | undefined,
  keep: (value: T, spans: Span[]) => void,
): SpanBatch {
  const spans: Span[] = [];
  const bodyIndexes: number[] = [];
  const refused: RefusedSpan[] = [];
  const repairs: UnitRepairs = { unit: false };
  let timestampUnitRepairs = 0;
  for (let i = 0; i < list.length; i++) {
    const index = firstIndex + i;
    const issues: Issue[] = [];
    repairs.unit = false;
    const value = read(list[i] as I, `spans[${index}]`, issues, repairs);
    if (value !== undefined && issues.length === 0) {
      keep(value, spans);
      while (bodyIndexes.length < spans.length) bodyIndexes.push(index);
      if (repairs.unit) timestampUnitRepairs += 1;
    } else {
      refused.push(refusalOf(index, issues));
    }
  }
  return { spans, bodyIndexes, refused, timestampUnitRepairs };
}

/** `keep` for decoders whose items become one span each. */
export const keepSpan = (span: Span, spans: Span[]): void => {
  spans.push(span);
};
