import type { BatchControl } from '../../consume/span-source.ts';
import { chunkDocuments } from '../chunk.ts';
import type { PutOutcome, SegmentSink } from '../segment-sink.ts';
import { mergeOutcomes } from './merge-outcomes.ts';

export interface ChunkingSegmentSinkOptions {
  /** Documents per call (X-Ray: at most 50). */
  readonly maxDocuments: number;
  /** Bytes of documents per call (the request body's JSON-escaped documents). */
  readonly maxPayloadBytes: number;
}

/**
 * SegmentSink decorator, the outermost X-Ray stage: splits a put into call-sized chunks (chunk.ts) and puts
 * them side by side through the inner stages (the ConcurrencyGate further in bounds the calls in flight);
 * one outcome, indices into the caller's documents.
 *
 * Shaped like the other SegmentSink decorators on purpose (the inner sink and options held, `put` wrapping
 * the inner `put`): one behaviour per decorator, composed by the caller (docs/CONVENTIONS.md, "Translator ports").
 */
export class ChunkingSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #o: ChunkingSegmentSinkOptions;

  constructor(inner: SegmentSink, options: ChunkingSegmentSinkOptions) {
    this.#inner = inner;
    this.#o = options;
  }

  async put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    const chunks = chunkDocuments(documents, this.#o);
    const parts = await Promise.all(chunks.map(async (indices) => ({
      indices,
      outcome: await this.#inner.put(indices.map((i) => documents[i] ?? ''), control),
    })));
    return mergeOutcomes(parts);
  }
}
