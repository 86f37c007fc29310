import { PutTraceSegmentsCommand, type UnprocessedTraceSegment, type XRayClient } from '@aws-sdk/client-xray';
import type { ErrorCode } from '../../../../shared/edge/errors/index.ts';
import type { TranslatorMetrics } from '../../metrics.ts';
import { actionFor, codeOfCallError, codeOfUnprocessed } from '../../policy/error-policy.ts';
import type { PutOutcome, RejectedDocument, SegmentSink } from '../segment-sink.ts';
import { isNoSuchRoute, notAnXRayApiHint } from '../endpoint-hint.ts';

/**
 * Observes PutTraceSegments calls: X-Ray answered (`succeeded`), or the call failed with a code; `throttled`: X-Ray
 * throttled the call or some of its documents (neither a failure nor a success for readiness; for liveness, time
 * the consumer cannot make progress through no fault of its own).
 */
export interface ExportCallObserver {
  succeeded(): void;
  /**
   * `misdirected`: the endpoint answered that it has no such route (HTTP 404 or 405, isNoSuchRoute): XRAY_ENDPOINT
   * is not an X-Ray API, which no retry mends, so readiness says so at once (endpoint-hint.ts).
   */
  failed(code: ErrorCode, message: string, misdirected?: boolean): void;
  throttled?(): void;
}

export interface PutTraceSegmentsSinkOptions {
  /** Built with `maxAttempts: 1`: the RetryingSegmentSink stage does the retrying. */
  readonly client: Pick<XRayClient, 'send'>;
  readonly metrics: TranslatorMetrics;
  /** Told the outcome of every call (readiness: services/translator/health.ts ExportHealth). */
  readonly health?: ExportCallObserver;
}

const CALL_OUTCOME: Partial<Record<ErrorCode, string>> = {
  XRAY_THROTTLED: 'throttled', SEGMENT_REJECTED: 'rejected', XRAY_ACCESS_DENIED: 'denied', XRAY_UNAVAILABLE: 'unavailable',
};

/**
 * The innermost stage: ONE PutTraceSegments call with the documents given (the ChunkingSegmentSink keeps
 * them within X-Ray's 50 documents and the payload bound), classified by the error policy
 * (policy/error-policy.ts: the SDK's typed exceptions and retryability, the UnprocessedTraceSegments codes):
 * - each UnprocessedTraceSegments entry: refused for good → `rejected` with X-Ray's ErrorCode as reason;
 *   retryable → `unfinished`; an entry naming no document sent → everything not refused is `unfinished`;
 * - the call failed: `unfinished` with every document, the code of the failure. A request refused as a
 *   whole as invalid (SEGMENT_REJECTED) is for the BisectingSegmentSink to split; a refused caller (halt)
 *   reads `PutTraceSegments refused: …`.
 */
export class PutTraceSegmentsSink implements SegmentSink {
  readonly #o: PutTraceSegmentsSinkOptions;

  constructor(options: PutTraceSegmentsSinkOptions) {
    this.#o = options;
  }

  async put(documents: readonly string[]): Promise<PutOutcome> {
    const { metrics, health } = this.#o;
    metrics.documentsPerCall.observe(documents.length);
    let unprocessed: readonly UnprocessedTraceSegment[];
    try {
      const out = await this.#o.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [...documents] }));
      metrics.putCalls.inc({ outcome: 'ok' });
      health?.succeeded();
      unprocessed = out.UnprocessedTraceSegments ?? [];
    } catch (e) {
      const err = e as { name?: string; message?: string; code?: string };
      const name = err.name === 'Error' && err.code !== undefined ? err.code : err.name ?? err.code ?? 'Error';
      const code = codeOfCallError(e);
      const message = (err.message || String(e)) + notXRayHint(e);
      if (code === 'XRAY_THROTTLED') {
        metrics.throttles.inc();
        health?.throttled?.();
      } else if (code === 'SEGMENT_REJECTED') health?.succeeded(); // X-Ray answered: the target works
      else health?.failed(code, `${name}: ${message}`, isNoSuchRoute(statusOf(e)));
      metrics.putCalls.inc({ outcome: CALL_OUTCOME[code] ?? 'unavailable' });
      const indices = documents.map((_, i) => i);
      // No credentials or access denied: the same call fails the same way until the operator acts.
      const said = actionFor(code) === 'halt' ? `PutTraceSegments refused: ${name}: ${message}` : `${name}: ${message}`;
      return { rejected: [], unfinished: { code, message: said, indices } };
    }
    return unprocessed.length === 0 ? { rejected: [] } : this.#sortUnprocessed(documents, unprocessed);
  }

  #sortUnprocessed(documents: readonly string[], unprocessed: readonly UnprocessedTraceSegment[]): PutOutcome {
    const byId = new Map<string, number[]>();
    documents.forEach((d, i) => {
      const id = documentIdOf(d);
      byId.set(id, [...(byId.get(id) ?? []), i]);
    });
    const rejected: RejectedDocument[] = [];
    const retry = new Set<number>();
    let code: ErrorCode = 'XRAY_UNAVAILABLE';
    let message = '';
    let unattributed = false;
    let throttled = false;
    for (const u of unprocessed) {
      const xrayCode = u.ErrorCode ?? 'Unknown';
      this.#o.metrics.unprocessedSegments.inc({ error_code: xrayCode });
      const meshrayCode = codeOfUnprocessed(u.ErrorCode);
      const matches = byId.get(u.Id ?? '') ?? [];
      if (matches.length === 0) {
        unattributed = true;
        continue;
      }
      if (actionFor(meshrayCode) === 'dead-letter') {
        for (const index of matches) rejected.push({ index, code: meshrayCode, reason: xrayCode, message: u.Message ?? xrayCode });
      } else {
        if (meshrayCode === 'XRAY_THROTTLED') {
          this.#o.metrics.throttles.inc();
          throttled = true;
        }
        for (const index of matches) retry.add(index);
        code = meshrayCode;
        message = `${xrayCode}: ${u.Message ?? ''}`;
      }
    }
    if (throttled) this.#o.health?.throttled?.(); // once per call
    if (unattributed) {
      // An entry naming no document we sent: retry everything not refused, rather than lose one.
      const refused = new Set(rejected.map((r) => r.index));
      documents.forEach((_, i) => { if (!refused.has(i)) retry.add(i); });
      message ||= 'UnprocessedTraceSegments entry without a known segment id';
    }
    if (retry.size === 0) return { rejected };
    return { rejected, unfinished: { code, message, indices: [...retry].sort((a, b) => a - b) } };
  }
}

/**
 * What to check when the endpoint answered HTTP 404 or 405 (isNoSuchRoute): X-Ray serves PutTraceSegments at POST
 * /TraceSegments, so such an answer means XRAY_ENDPOINT points at something else (found by a newcomer trial: XRAY_ENDPOINT set to the receiver
 * was retried for ever as "X-Ray is unavailable"). The call stays retryable (XRAY_UNAVAILABLE): nothing is dropped
 * while the operator fixes it, and readiness carries this text.
 */
function notXRayHint(e: unknown): string {
  const status = statusOf(e);
  return isNoSuchRoute(status) ? ` (HTTP ${status}: ${notAnXRayApiHint('PutTraceSegments route, POST /TraceSegments')})` : '';
}

/** The top-level `id` of a segment document ('' when it is not JSON). */
function documentIdOf(document: string): string {
  try {
    const parsed = JSON.parse(document) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : '';
  } catch {
    return '';
  }
}

/** The HTTP status the SDK error carries (`$metadata.httpStatusCode`), if any. */
function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
