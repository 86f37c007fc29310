import type { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { PutOutcome, RejectedDocument } from './segment-sink.ts';

/** Any sink with the SegmentSink contract over documents of type `T`. */
interface PutSink<T> {
  put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome>;
}

export interface RateLimitedSegmentSinkOptions {
  /** The bucket: one token per document (shared/edge/resilience TokenBucket, `acquire` waits the debt off). */
  readonly limiter: Pick<TokenBucket, 'acquire'>;
  /** Documents per rate-limited `put` (about a second's worth: the consumer heartbeats between slices). */
  readonly sliceDocuments: number;
}

/**
 * SegmentSink decorator: at most the bucket's rate of documents per second reach the inner sink (`meshray
 * replay --rate`, sharing X-Ray's per-account quota with the live translators). A `put` goes on in slices of
 * `sliceDocuments`, each waiting for its tokens, heartbeating the source between slices. It stops at the
 * first slice not taken in full: the rest of the documents are `unfinished` with it (indices into the
 * caller's `documents`, like every SegmentSink).
 *
 * Shaped like the other SegmentSink decorators on purpose (the inner sink and options held, `put` wrapping
 * the inner `put`): one behaviour per decorator, composed by the caller (docs/CONVENTIONS.md, "Translator ports").
 */
/** `T`: the documents (JSON strings for segments; OTLP spans for EXPORT_PROTOCOL=otlp, one token per span). */
export class RateLimitedSegmentSink<T = string> implements PutSink<T> {
  readonly #inner: PutSink<T>;
  readonly #o: RateLimitedSegmentSinkOptions;

  constructor(inner: PutSink<T>, options: RateLimitedSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
  }

  async put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome> {
    const size = Math.max(1, this.#o.sliceDocuments);
    const rejected: RejectedDocument[] = [];
    for (let start = 0; start < documents.length; start += size) {
      const slice = documents.slice(start, start + size);
      if (start > 0) await control?.heartbeat();
      await this.#o.limiter.acquire(slice.length);
      const outcome = await this.#inner.put(slice, control);
      rejected.push(...outcome.rejected.map((r) => ({ ...r, index: r.index + start })));
      if (outcome.unfinished) {
        const rest = Array.from({ length: documents.length - start - slice.length }, (_, i) => start + slice.length + i);
        return { rejected, unfinished: { ...outcome.unfinished, indices: [...outcome.unfinished.indices.map((i) => i + start), ...rest] } };
      }
    }
    return { rejected };
  }
}
