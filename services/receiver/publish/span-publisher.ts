import type { Span } from '../../../shared/core/zipkin/span.ts';

/**
 * The receiver's outbound port. `publish` resolves when the spans are acknowledged as ACK_MODE says
 * (written to the topic, or held in the bounded buffer), with the spans it refused alone: each one that,
 * encoded, is larger than any record may be (record-limits.ts: MAX_SPAN_BYTES; usually none, the
 * same frozen empty list). It rejects with a MeshrayError: BUFFER_FULL, ACK_TIMEOUT, PUBLISH_FAILED or
 * NOT_READY. Apart from those refused alone, the spans of one call are accepted whole or not at all.
 */
export interface SpanPublisher {
  publish(spans: readonly Span[]): Promise<readonly Span[]>;
  /**
   * Why not even `spans` more spans fit the buffer now (the 503 BUFFER_FULL's message), undefined when they
   * fit: the route then refuses before decoding the body (refusing costs no decode). Optional: a publisher
   * without a bound never is full.
   */
  whyFull?(spans: number): string | undefined;
}

/** `publish`'s answer when it refused no span alone: one frozen list, no allocation per call. */
export const NONE_REFUSED: readonly Span[] = Object.freeze([]);
