import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { toSpanRecords } from '../../../shared/core/span-record/record.ts';
import type { InProcessTopic } from '../../../shared/edge/transport/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import type { ReceiverMetrics } from '../metrics.ts';
import { NONE_REFUSED, type SpanPublisher } from './span-publisher.ts';

export interface InProcessSpanPublisherOptions {
  readonly topic: InProcessTopic;
  /** Record timestamps; defaults to the wall clock. */
  readonly nowMs?: () => number;
  /**
   * The receiver's metrics, as in the split deployment: appended spans count as published (appending is
   * the acknowledgement); the buffer gauges read the in-process topic (spans held until exported, and
   * its bound BUFFER_MAX_SPANS).
   */
  readonly metrics?: ReceiverMetrics;
}

/**
 * The all-in-one's adapter: appends span records to the in-process topic. Appending is the
 * acknowledgement (ACK_MODE does not apply); a request that does not fit the topic's bound is
 * refused whole with BUFFER_FULL. Spans held there are lost if the process dies.
 */
export class InProcessSpanPublisher implements SpanPublisher {
  private readonly topic: InProcessTopic;
  private readonly nowMs: () => number;
  private readonly metrics: ReceiverMetrics | undefined;
  private closed = false;

  constructor(options: InProcessSpanPublisherOptions) {
    this.topic = options.topic;
    this.nowMs = options.nowMs ?? Date.now;
    this.metrics = options.metrics;
    if (this.metrics) {
      const topic = this.topic;
      this.metrics.bufferCapacitySpans.set(topic.size + topic.free);
      // Read at each scrape: the gauge falls back as the translator commits, with no hook on the consumer side.
      this.metrics.observeBuffer(() => topic.size);
    }
  }

  /** Resolves with no span refused alone: the in-process topic has no record size limit. */
  publish(spans: readonly Span[]): Promise<readonly Span[]> {
    if (this.closed) return Promise.reject(new MeshrayError('NOT_READY', 'receiver is shutting down'));
    if (spans.length === 0) return Promise.resolve(NONE_REFUSED);
    const records = toSpanRecords(spans, this.nowMs());
    if (!this.topic.append(records)) {
      return Promise.reject(new MeshrayError('BUFFER_FULL', this.#fullMessage()));
    }
    this.metrics?.spansPublished.inc(spans.length);
    this.metrics?.recordsPublished.inc(records.length);
    return Promise.resolve(NONE_REFUSED);
  }

  /** Why the in-process topic cannot take `spans` more records now, undefined when it can. */
  whyFull(spans = 1): string | undefined {
    return this.topic.free < spans ? this.#fullMessage() : undefined;
  }

  /** One wording for both refusals (found by the newcomer trial: the two differed): the topic holds a span per record. */
  #fullMessage(): string {
    return `in-process span topic is full (${this.topic.size} spans held, BUFFER_MAX_SPANS; the export is behind)`;
  }

  /** undefined when ready, else why not. */
  readinessProblem(): string | undefined {
    return this.closed ? 'shutting down' : undefined;
  }

  /** Refuses further spans (NOT_READY); what the topic holds is the consumer's to drain. */
  close(): void {
    this.closed = true;
  }
}
