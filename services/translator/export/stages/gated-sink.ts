import type { ConcurrencyGate } from '../../../../shared/edge/resilience/concurrency-gate.ts';
import type { BatchControl } from '../../consume/span-source.ts';
import type { PutOutcome, SegmentSink } from '../segment-sink.ts';

/**
 * SegmentSink decorator: each put holds one permit of the gate while it runs (XRAY_MAX_CONCURRENCY
 * PutTraceSegments calls in flight across every partition).
 */
export class GatedSegmentSink implements SegmentSink {
  readonly #inner: SegmentSink;
  readonly #gate: Pick<ConcurrencyGate, 'run'>;

  constructor(inner: SegmentSink, gate: Pick<ConcurrencyGate, 'run'>) {
    this.#inner = inner;
    this.#gate = gate;
  }

  put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome> {
    return this.#gate.run(() => this.#inner.put(documents, control));
  }
}
