import type { Span } from '../../../shared/core/zipkin/span.ts';

/**
 * The receiver's outbound port. `publish` resolves when the spans are acknowledged as ACK_MODE says
 * (written to the topic, or held in the bounded buffer) and rejects with a MeshrayError:
 * BUFFER_FULL, ACK_TIMEOUT, PUBLISH_FAILED or NOT_READY. The spans of one call are accepted whole or not at all.
 */
export interface SpanPublisher {
  publish(spans: readonly Span[]): Promise<void>;
  /**
   * True when not even `spans` more spans fit the buffer now: the route then answers 503 BUFFER_FULL before
   * decoding the body (refusing costs no decode). Optional: a publisher without a bound never is full.
   */
  isFull?(spans: number): boolean;
}
