import type { BatchControl } from '../../consume/span-source.ts';
import type { PutOutcome, RejectedDocument, SegmentSink } from '../segment-sink.ts';
import { indicesOf, mergeOutcomes } from './merge-outcomes.ts';

/**
 * SegmentSink decorator: X-Ray refused the request as a whole as invalid (an `unfinished` SEGMENT_REJECTED
 * from PutTraceSegmentsSink, message `ExceptionName: message`): split it in halves, each put on its own
 * (through this stage again), until the offending document stands alone and is `rejected` with the
 * exception's name as reason. The other documents are accepted, rejected or unfinished as their halves were.
 */
export class BisectingSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;

  constructor(inner: SegmentSink) {
    this.#inner = inner;
  }

  async put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    const outcome = await this.#inner.put(documents, control);
    const refused = outcome.unfinished;
    if (refused?.code !== 'SEGMENT_REJECTED') return outcome;
    const rejected: RejectedDocument[] = [...outcome.rejected];
    if (documents.length === 1) {
      const colon = refused.message.indexOf(': ');
      const reason = colon < 0 ? refused.message : refused.message.slice(0, colon);
      rejected.push({ index: 0, code: refused.code, reason, message: colon < 0 ? refused.message : refused.message.slice(colon + 2) });
      return { rejected };
    }
    const half = Math.ceil(documents.length / 2);
    const [first, second] = await Promise.all([this.put(documents.slice(0, half), control), this.put(documents.slice(half), control)]);
    return mergeOutcomes([{ outcome: first, indices: indicesOf(0, half) }, { outcome: second, indices: indicesOf(half, documents.length) }]);
  }
}
