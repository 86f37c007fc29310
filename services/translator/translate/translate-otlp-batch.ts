import { placeOtlpSpans } from '../../../shared/core/otlp/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import type { ExportTranslator } from '../export/export-document.ts';
import type { OtlpDocument } from '../export/otlp-span-sink.ts';
import type { TranslatorMetrics } from '../metrics.ts';

/**
 * The translate stage of EXPORT_PROTOCOL=otlp: the pure Zipkin → OTLP translator (shared/core/otlp
 * `placeOtlpSpans`: the segments path's Istio repairs, the endpoint's 14 days / 2 h window and 200 KB span
 * limit) with the injected `nowMs`. No epoch store: the OTLP endpoint takes W3C trace ids as they are.
 */
export class OtlpBatchTranslator implements ExportTranslator<OtlpDocument> {
  readonly #metrics: TranslatorMetrics;
  readonly #annotationAllowlist: readonly string[];

  /** `annotationAllowlist`: ANNOTATION_TAGS, listed in `aws.xray.annotations` as the segments path indexes them. */
  constructor(options: { metrics: TranslatorMetrics; annotationAllowlist: readonly string[] }) {
    this.#metrics = options.metrics;
    this.#annotationAllowlist = options.annotationAllowlist;
  }

  async translate(spans: readonly Span[], _local: unknown, nowMs: number): Promise<{ documents: OtlpDocument[]; rejected: ReturnType<typeof placeOtlpSpans>['rejected'] }> {
    const out = placeOtlpSpans(spans, { nowMs, annotationAllowlist: this.#annotationAllowlist });
    this.#metrics.kindRepaired.inc(out.stats.kindRepaired);
    this.#metrics.metadataTrimmed.inc(out.stats.spansTrimmed);
    return { documents: out.placed.map((placed) => ({ spanIndex: placed.index, segmentId: placed.span.spanId, placed })), rejected: out.rejected };
  }
}
