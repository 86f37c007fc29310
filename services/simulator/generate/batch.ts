/**
 * Envoy's Zipkin span buffer, one per sidecar worker: spans are flushed when `maxSpans` are buffered
 * (Envoy's `tracing.zipkin.min_flush_spans`, default 5) or when the flush interval has passed since the first
 * buffered span (`tracing.zipkin.flush_interval_ms`, default 5000). A batch therefore carries the spans of ONE
 * workload, from one or several traces. Pure: time is an input.
 */
import type { Span } from '../../../shared/core/zipkin/span.ts';

export interface SpanBatch {
  readonly workload: string;
  readonly spans: Span[];
}

export interface BatcherOptions {
  readonly maxSpans: number;
  readonly flushIntervalMs: number;
}

export const ENVOY_MIN_FLUSH_SPANS = 5;
export const ENVOY_FLUSH_INTERVAL_MS = 5000;

interface Buffer {
  readonly workload: string;
  spans: Span[];
  firstAtMs: number;
}

export class SidecarBatcher {
  private readonly buffers = new Map<string, Buffer>();
  private readonly maxSpans: number;
  private readonly flushIntervalMs: number;

  constructor(options: Partial<BatcherOptions> = {}) {
    this.maxSpans = Math.max(1, options.maxSpans ?? ENVOY_MIN_FLUSH_SPANS);
    this.flushIntervalMs = options.flushIntervalMs ?? ENVOY_FLUSH_INTERVAL_MS;
  }

  /** Buffers one span of `workload`'s sidecar worker `worker`; returns the batch it completed, if any. */
  add(workload: string, worker: number, span: Span, nowMs: number): SpanBatch | undefined {
    const key = `${workload}#${worker}`;
    let buffer = this.buffers.get(key);
    if (buffer === undefined) {
      buffer = { workload, spans: [], firstAtMs: nowMs };
      this.buffers.set(key, buffer);
    }
    if (buffer.spans.length === 0) buffer.firstAtMs = nowMs;
    buffer.spans.push(span);
    if (buffer.spans.length < this.maxSpans) return undefined;
    return take(buffer);
  }

  /** Batches whose flush interval has passed at `nowMs`. */
  due(nowMs: number): SpanBatch[] {
    const out: SpanBatch[] = [];
    for (const buffer of this.buffers.values()) {
      if (buffer.spans.length > 0 && nowMs - buffer.firstAtMs >= this.flushIntervalMs) out.push(take(buffer));
    }
    return out;
  }

  /** Everything still buffered (at shutdown). */
  drain(): SpanBatch[] {
    const out: SpanBatch[] = [];
    for (const buffer of this.buffers.values()) if (buffer.spans.length > 0) out.push(take(buffer));
    return out;
  }

  get bufferedSpans(): number {
    let n = 0;
    for (const buffer of this.buffers.values()) n += buffer.spans.length;
    return n;
  }
}

function take(buffer: Buffer): SpanBatch {
  const batch = { workload: buffer.workload, spans: buffer.spans };
  buffer.spans = [];
  return batch;
}
