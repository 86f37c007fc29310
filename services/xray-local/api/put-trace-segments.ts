import { validateSegmentDocument } from '../../../shared/core/xray/validate.ts';
import { MAX_DOCUMENT_BYTES, documentBytes, fitsBytes } from '../../../shared/core/xray/limits.ts';
import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { SegmentStore } from '../store/segment-store.ts';
import type { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import type { XRayLocalMetrics } from '../metrics.ts';
import { type ApiOutcome, answer, invalidRequest, throttled } from './api-outcome.ts';
import { readBody } from './read-request.ts';
import { THROTTLED, type Rejection, rejectInvalid, rejectTooLarge, rejectTraceIdEpoch, rejectUnparsable } from './classify-rejection.ts';
import { isXrayEpochAccepted } from '../../../shared/core/xray/trace-id.ts';
import { nestedSubsegmentCount } from '../store/trace-entities.ts';

/** PutTraceSegments accepts at most this many documents per call. */
export const MAX_DOCUMENTS_PER_CALL = 50;

export interface UnprocessedTraceSegment {
  Id?: string;
  ErrorCode: string;
  Message: string;
}

export interface PutTraceSegmentsResult {
  UnprocessedTraceSegments: UnprocessedTraceSegment[];
}

export interface PutTraceSegmentsDeps {
  readonly store: SegmentStore;
  readonly metrics: XRayLocalMetrics;
  /** Absent when throttling is off. */
  readonly throttle: TokenBucket | undefined;
  readonly nowMs: () => number;
}

type Checked = { ok: true; doc: SegmentDocument } | { ok: false; id: string | undefined; rejection: Rejection };

/** Reads `id` (and the kind) from a document for the unprocessed report, when it parses at all. */
function peek(parsed: unknown): { id: string | undefined; kind: string } {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { id: undefined, kind: 'segment' };
  const record = parsed as Record<string, unknown>;
  return { id: typeof record['id'] === 'string' ? record['id'] : undefined, kind: record['type'] === 'subsegment' ? 'subsegment' : 'segment' };
}

function tryParse(json: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/**
 * The same checks as `validateSegmentJson` (size, JSON, schema and X-Ray rules), taken one at a time so
 * each failure gets its own ErrorCode; then the trace id's date, as X-Ray judges it at `nowMs`: dated
 * outside 30 days back to 5 minutes ahead it is `InvalidTraceId` (AWS X-Ray Developer Guide, "Sending
 * trace data to AWS X-Ray": a trace id whose date is too far in the past answers that code). xray-local
 * is not more forgiving than X-Ray there. (start_time itself is not judged: X-Ray documents no limit.)
 */
function checkDocument(document: unknown, nowMs: number): Checked {
  if (typeof document !== 'string') {
    return { ok: false, id: undefined, rejection: rejectInvalid([{ path: 'document', message: 'must be a string holding one JSON segment document' }], 'segment') };
  }
  const parsed = tryParse(document);
  const { id, kind } = peek(parsed.ok ? parsed.value : undefined);
  if (!fitsBytes(document, MAX_DOCUMENT_BYTES)) return { ok: false, id, rejection: rejectTooLarge(documentBytes(document), kind) };
  if (!parsed.ok) return { ok: false, id, rejection: rejectUnparsable(parsed.reason) };
  const valid = validateSegmentDocument(parsed.value);
  if (!valid.ok) return { ok: false, id, rejection: rejectInvalid(valid.issues, kind) };
  const doc = valid.value;
  if (!isXrayEpochAccepted(doc.trace_id.slice(2, 10), nowMs)) return { ok: false, id, rejection: rejectTraceIdEpoch(doc.trace_id, nowMs, kind) };
  return { ok: true, doc };
}

function idOf(document: unknown): string | undefined {
  if (typeof document !== 'string') return undefined;
  const parsed = tryParse(document);
  return parsed.ok ? peek(parsed.value).id : undefined;
}

/** POST /TraceSegments */
export function putTraceSegments(raw: unknown, deps: PutTraceSegmentsDeps): ApiOutcome<PutTraceSegmentsResult> {
  const body = readBody(raw);
  if (!body.ok) return body;
  const documents = body.body['TraceSegmentDocuments'];
  if (!Array.isArray(documents)) return invalidRequest('TraceSegmentDocuments is required and must be a list of strings');
  if (documents.length > MAX_DOCUMENTS_PER_CALL) {
    return invalidRequest(`TraceSegmentDocuments holds ${documents.length} documents, at most ${MAX_DOCUMENTS_PER_CALL} allowed per call`);
  }
  const nowMs = deps.nowMs();
  const granted = deps.throttle && documents.length > 0 ? deps.throttle.take(documents.length) : documents.length;
  if (granted === 0 && documents.length > 0) {
    deps.metrics.callsThrottled.inc();
    deps.metrics.segmentsThrottled.inc(documents.length);
    return throttled('Rate exceeded: no segment documents accepted this second (XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND)');
  }
  const unprocessed: UnprocessedTraceSegment[] = [];
  const report = (id: string | undefined, errorCode: string, message: string): void => {
    unprocessed.push(id === undefined ? { ErrorCode: errorCode, Message: message } : { Id: id, ErrorCode: errorCode, Message: message });
  };
  let accepted = 0;
  let nested = 0;
  let evicted = 0;
  documents.forEach((document: unknown, index) => {
    if (index >= granted) {
      deps.metrics.segmentsThrottled.inc();
      report(idOf(document), THROTTLED, 'Rate exceeded: segment document throttled, retry it later');
      return;
    }
    const checked = checkDocument(document, nowMs);
    if (!checked.ok) {
      deps.metrics.segmentsRejected.inc({ reason: checked.rejection.errorCode });
      report(checked.id, checked.rejection.errorCode, checked.rejection.message);
      return;
    }
    const outcome = deps.store.put(checked.doc, document as string, nowMs);
    accepted += 1;
    nested += nestedSubsegmentCount(checked.doc);
    evicted += outcome.evictedTraces;
  });
  if (accepted > 0) {
    deps.metrics.segmentsAccepted.inc(accepted);
    if (nested > 0) deps.metrics.subsegmentsNested.inc(nested);
    deps.metrics.acceptedWindows.add(accepted, nowMs);
  }
  if (evicted > 0) deps.metrics.tracesEvicted.inc(evicted);
  return answer({ UnprocessedTraceSegments: unprocessed });
}
