import { PutTraceSegmentsCommand, type UnprocessedTraceSegment, type XRayClient } from '@aws-sdk/client-xray';
import { MeshrayError, type ErrorCode } from '../../../shared/errors/index.ts';
import { actionFor, codeOfCallError, codeOfUnprocessed } from '../policy/error-policy.ts';
import type { TranslatorMetrics } from '../metrics.ts';
import { fullJitterDelayMs } from '../../../shared/resilience/backoff.ts';
import { sleepMs, type Sleep } from '../../../shared/resilience/clock.ts';
import { ConcurrencyGate } from '../../../shared/resilience/concurrency-gate.ts';
import { chunkDocuments, DEFAULT_MAX_PAYLOAD_BYTES, MAX_DOCUMENTS_PER_CALL } from './chunk.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { PutOutcome, RejectedDocument, SegmentSink } from './segment-sink.ts';

export interface XRaySegmentSinkOptions {
  /** Built with `maxAttempts: 1`: this sink does the retrying (and heartbeats between retries). */
  readonly client: Pick<XRayClient, 'send'>;
  readonly metrics: TranslatorMetrics;
  /** PutTraceSegments calls in flight across all partitions (XRAY_MAX_CONCURRENCY). */
  readonly maxConcurrency: number;
  /** Retries of a chunk before `put` gives up (XRAY_MAX_RETRIES). */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** At most 50 (X-Ray's limit). */
  readonly maxDocumentsPerCall?: number;
  readonly maxPayloadBytes?: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  /** Told the outcome of every call (readiness: services/translator/health.ts ExportHealth). */
  readonly health?: ExportCallObserver;
}

/** Observes PutTraceSegments calls: X-Ray answered (`succeeded`), or the call failed with a code. */
export interface ExportCallObserver {
  succeeded(): void;
  failed(code: ErrorCode, message: string): void;
}

type CallResult =
  | { readonly ok: true; readonly unprocessed: readonly UnprocessedTraceSegment[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly name: string; readonly message: string };

/**
 * SegmentSink over X-Ray's PutTraceSegments (the real service or xray-local through XRAY_ENDPOINT).
 * Chunks of ≤ 50 documents and ≤ maxPayloadBytes; `UnprocessedTraceSegments` are handled per document
 * (retryable codes retried, invalid ones returned as rejected); throttles, 5xx and network errors are
 * retried with full-jitter backoff up to maxRetries, after which the rest is returned as `unfinished`.
 */
export class XRaySegmentSink implements SegmentSink {
  readonly #o: XRaySegmentSinkOptions;
  readonly #calls: ConcurrencyGate;
  readonly #random: () => number;
  readonly #sleep: Sleep;

  constructor(options: XRaySegmentSinkOptions) {
    this.#o = options;
    this.#calls = new ConcurrencyGate(options.maxConcurrency);
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepMs;
  }

  async put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    const rejected: RejectedDocument[] = [];
    const unfinished: number[] = [];
    let failure: MeshrayError | undefined;
    const chunks = chunkDocuments(documents, {
      maxDocuments: Math.min(MAX_DOCUMENTS_PER_CALL, this.#o.maxDocumentsPerCall ?? MAX_DOCUMENTS_PER_CALL),
      maxPayloadBytes: this.#o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    });
    await Promise.all(chunks.map(async (chunk) => {
      try {
        await this.#putChunk(documents, chunk, rejected, control);
      } catch (err) {
        if (!(err instanceof PendingDocuments)) throw err;
        unfinished.push(...err.indices);
        failure ??= err.error;
      }
    }));
    rejected.sort((a, b) => a.index - b.index);
    if (failure === undefined) return { rejected };
    return { rejected, unfinished: { code: failure.code, message: failure.message, indices: unfinished.sort((a, b) => a - b) } };
  }

  async #putChunk(documents: readonly string[], chunk: readonly number[], rejected: RejectedDocument[], control?: BatchControl): Promise<void> {
    let pending = chunk;
    for (let retry = 0; ; retry += 1) {
      if (retry > 0) {
        try {
          await this.#backoff(retry, control);
        } catch (err) {
          throw new PendingDocuments(pending, err as MeshrayError);
        }
      }
      const result = await this.#calls.run(() => this.#call(pending.map((i) => documents[i] ?? '')));
      let lastCode: ErrorCode;
      let lastMessage: string;
      if (result.ok) {
        if (result.unprocessed.length === 0) return;
        const retryable = this.#sortUnprocessed(documents, pending, result.unprocessed, rejected);
        if (retryable.indices.length === 0) return;
        pending = retryable.indices;
        lastCode = retryable.code;
        lastMessage = retryable.message;
      } else if (actionFor(result.code) === 'halt') {
        // No credentials or access denied: the same call fails the same way until the operator acts.
        throw new PendingDocuments(pending, new MeshrayError(result.code, `PutTraceSegments refused: ${result.name}: ${result.message}`));
      } else if (actionFor(result.code) === 'dead-letter') {
        // The request as a whole was refused as invalid: split it until the offending document stands alone.
        if (pending.length === 1) {
          rejected.push({ index: pending[0] ?? 0, code: result.code, reason: result.name, message: result.message });
          return;
        }
        const half = Math.ceil(pending.length / 2);
        const halves = await Promise.allSettled([
          this.#putChunk(documents, pending.slice(0, half), rejected, control),
          this.#putChunk(documents, pending.slice(half), rejected, control),
        ]);
        const failed = halves.flatMap((h) => (h.status === 'rejected' ? [h.reason as unknown] : []));
        if (failed.length === 0) return;
        const stuck = failed.filter((f): f is PendingDocuments => f instanceof PendingDocuments);
        if (stuck.length < failed.length || stuck[0] === undefined) throw failed.find((f) => !(f instanceof PendingDocuments));
        throw new PendingDocuments(stuck.flatMap((f) => f.indices), stuck[0].error);
      } else {
        lastCode = result.code;
        lastMessage = `${result.name}: ${result.message}`;
      }
      if (retry >= this.#o.maxRetries) {
        throw new PendingDocuments(pending, new MeshrayError(lastCode, `PutTraceSegments gave up after ${retry} retries (${pending.length} documents pending): ${lastMessage}`));
      }
    }
  }

  /** Returns the documents to retry; pushes the permanently refused ones to `rejected`. */
  #sortUnprocessed(
    documents: readonly string[], pending: readonly number[], unprocessed: readonly UnprocessedTraceSegment[], rejected: RejectedDocument[],
  ): { indices: number[]; code: ErrorCode; message: string } {
    const byId = new Map<string, number[]>();
    for (const i of pending) {
      const id = documentIdOf(documents[i] ?? '');
      const list = byId.get(id) ?? [];
      list.push(i);
      byId.set(id, list);
    }
    const retry = new Set<number>();
    let code: ErrorCode = 'XRAY_UNAVAILABLE';
    let message = '';
    let unattributed = false;
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
        if (meshrayCode === 'XRAY_THROTTLED') this.#o.metrics.throttles.inc();
        for (const index of matches) retry.add(index);
        code = meshrayCode;
        message = `${xrayCode}: ${u.Message ?? ''}`;
      }
    }
    if (unattributed) {
      // An entry naming no document we sent: retry everything not refused, rather than lose one.
      const refused = new Set(rejected.map((r) => r.index));
      for (const i of pending) if (!refused.has(i)) retry.add(i);
      message ||= 'UnprocessedTraceSegments entry without a known segment id';
    }
    return { indices: [...retry].sort((a, b) => a - b), code, message };
  }

  async #call(batch: readonly string[]): Promise<CallResult> {
    this.#o.metrics.documentsPerCall.observe(batch.length);
    try {
      const out = await this.#o.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [...batch] }));
      this.#o.metrics.putCalls.inc({ outcome: 'ok' });
      this.#o.health?.succeeded();
      return { ok: true, unprocessed: out.UnprocessedTraceSegments ?? [] };
    } catch (e) {
      const err = e as { name?: string; message?: string; code?: string };
      const name = err.name === 'Error' && err.code !== undefined ? err.code : err.name ?? err.code ?? 'Error';
      const code = codeOfCallError(e);
      const message = err.message || String(e);
      if (code === 'XRAY_THROTTLED') this.#o.metrics.throttles.inc();
      else if (code === 'SEGMENT_REJECTED') this.#o.health?.succeeded(); // X-Ray answered: the target works
      else this.#o.health?.failed(code, `${name}: ${message}`);
      this.#o.metrics.putCalls.inc({ outcome: CALL_OUTCOME[code] ?? 'unavailable' });
      return { ok: false, code, name, message };
    }
  }

  async #backoff(retry: number, control?: BatchControl): Promise<void> {
    if (control) {
      if (!control.isActive()) throw new MeshrayError('NOT_READY', 'export abandoned: partition revoked or consumer stopping');
      await control.heartbeat();
    }
    await this.#sleep(fullJitterDelayMs(retry, { baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs }, this.#random));
    if (control && !control.isActive()) throw new MeshrayError('NOT_READY', 'export abandoned: partition revoked or consumer stopping');
  }
}

const CALL_OUTCOME: Partial<Record<ErrorCode, string>> = {
  XRAY_THROTTLED: 'throttled', SEGMENT_REJECTED: 'rejected', XRAY_ACCESS_DENIED: 'denied', XRAY_UNAVAILABLE: 'unavailable',
};

/** A chunk's documents still pending when retrying stopped. */
class PendingDocuments extends Error {
  constructor(readonly indices: readonly number[], readonly error: MeshrayError) {
    super(error.message);
  }
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
