import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { accept, refuse, type Outcome } from '../decode/outcome.ts';

/** One request carries at most `maxSpans` spans (MAX_SPANS_PER_REQUEST). */
export function validateSpanCount(spans: readonly Span[], maxSpans: number): Outcome<readonly Span[]> {
  if (spans.length <= maxSpans) return accept(spans);
  return refuse(new MeshrayError('TOO_MANY_SPANS',
    `request carries ${spans.length} spans, at most ${maxSpans} are allowed (MAX_SPANS_PER_REQUEST): split it`));
}
