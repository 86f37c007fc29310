import type { ErrorCode } from '../../../shared/edge/errors/index.ts';
import { formatIssues, type Issue } from '../../../shared/core/result/result.ts';
import type { DeliveredRecord } from '../../../shared/edge/transport/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { decodeRecordSpans, sourceSpanIndexOf, spanAloneRecordOf } from '../../../shared/core/span-record/record.ts';

/** A record that cannot be exported as it is: undecodable (no `spans`), or holding untranslatable spans. */
export interface Poison {
  readonly recordIndex: number;
  readonly code: ErrorCode;
  readonly reason: string;
  readonly message: string;
  /** The poison spans (indices into the batch's spans), each with its own reason; absent: the record as a whole (undecodable). */
  readonly spans?: PoisonSpan[];
}

export interface PoisonSpan {
  readonly spanIndex: number;
  readonly reason: string;
  /** Its issues, its path naming it by its index in its record. */
  readonly message: string;
}

/** `issues` of span `batchIndex` of a batch (paths `spans[batchIndex]…`) as paths of its record (`spans[inRecord]…`). */
export function issuesInRecord(issues: readonly Issue[], batchIndex: number, inRecord: number): Issue[] {
  const prefix = `spans[${batchIndex}]`;
  return issues.map((i) => (i.path.startsWith(prefix) ? { ...i, path: `spans[${inRecord}]${i.path.slice(prefix.length)}` } : i));
}

/** Each span of `record` as a record of its own (spanAloneRecordOf); undefined when one is unreadable. */
export function spansAloneOf(record: DeliveredRecord): { readonly record: DeliveredRecord; readonly traceId: string; readonly indexInRecord: number }[] | undefined {
  const decoded = decodeRecordSpans(record);
  if (!decoded.ok) return undefined;
  const alone = decoded.value.map((span, i) => spanAloneRecordOf(record, i, span));
  return alone.every((r) => r !== undefined)
    ? alone.map((r, i) => ({ record: r, traceId: decoded.value[i]?.traceId ?? '', indexInRecord: sourceSpanIndexOf(record, i) }))
    : undefined;
}

/** A batch's records decoded: its spans in order, where each came from, and the records that did not decode. */
export interface DecodedBatch {
  readonly spans: Span[];
  /** The index (in the batch) of each span's record. */
  readonly recordOfSpan: number[];
  /** Index of each span within its record as delivered (one trace's part of it, with the assembly window). */
  readonly indexInDelivered: number[];
  /** Index of each span within its record as written (its dead-letter identity: sourceSpanIndexOf). */
  readonly indexInRecord: number[];
  /** By record index: the undecodable records (RECORD_UNDECODABLE); the translate stage adds untranslatable spans. */
  readonly poisons: Map<number, Poison>;
}

/**
 * The decode stage: each record's spans (a v1 record carries one span, a v2 span-list record several:
 * shared/core/span-record/record.ts), in batch order. An undecodable record becomes a poison record, never an error.
 */
export function decodeBatch(records: readonly DeliveredRecord[]): DecodedBatch {
  const spans: Span[] = [];
  const recordOfSpan: number[] = [];
  const indexInDelivered: number[] = [];
  const indexInRecord: number[] = [];
  const poisons = new Map<number, Poison>();
  records.forEach((record, recordIndex) => {
    const decoded = decodeRecordSpans(record);
    if (decoded.ok) {
      const list = decoded.value;
      for (let i = 0; i < list.length; i++) {
        spans.push(list[i] as Span);
        recordOfSpan.push(recordIndex);
        indexInDelivered.push(i);
        indexInRecord.push(sourceSpanIndexOf(record, i));
      }
    } else {
      poisons.set(recordIndex, { recordIndex, code: 'RECORD_UNDECODABLE', reason: 'undecodable', message: formatIssues(decoded.issues) });
    }
  });
  return { spans, recordOfSpan, indexInDelivered, indexInRecord, poisons };
}
