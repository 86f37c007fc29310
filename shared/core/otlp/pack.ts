/**
 * Packing placed OTLP spans into OTLP/HTTP requests within the endpoint's limits (limits.ts: spans per request,
 * protobuf bytes per request, spread of span start times), one `ResourceSpans` per distinct resource and one
 * scope `meshray`. Pure.
 */
import type { ExportTraceServiceRequest, KeyValue, OtlpResourceSpans, OtlpSpan } from './otlp-request.ts';
import { OTLP_ENDPOINT_LIMITS, type OtlpLimits } from './limits.ts';
import { encodeExportRequest } from './encode.ts';

/** The semantic-conventions schema the attribute names follow. */
export const OTLP_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.26.0';
export const OTLP_SCOPE_NAME = 'meshray';

/** One request to send: the object (OTLP/JSON shape), its protobuf body, and which input spans it holds. */
export interface OtlpExportBatch {
  readonly request: ExportTraceServiceRequest;
  /** Uncompressed OTLP/HTTP protobuf body, ≤ limits.maxRequestBytes. */
  readonly body: Uint8Array;
  /**
   * Input indexes of the spans in this request, in the order they appear in it; an index appears twice
   * when its span yields two OTLP spans (a root waypoint span and the caller put in front of it).
   */
  readonly spanIndexes: readonly number[];
}

/**
 * One OTLP span, translated, trimmed and ready to pack: the unit the translator's OTLP sink exports.
 * `index` is the input span it came from (a root waypoint span yields two: itself and its caller).
 */
export interface OtlpPlacedSpan {
  readonly index: number;
  readonly span: OtlpSpan;
  readonly resourceKey: string;
  readonly resourceAttributes: readonly KeyValue[];
  readonly startMs: number;
  /** Packing estimate, never fewer than the span's protobuf bytes (a quick bound, or its OTLP/JSON bytes). */
  readonly estimatedBytes: number;
}

/**
 * Packs placed spans into requests within the endpoint's limits (≤ maxSpansPerRequest spans, ≤
 * maxRequestBytes of protobuf, ≤ maxRequestSpreadMs between span starts); each batch's `spanIndexes` are
 * the placed spans' `index`es.
 */
export function packOtlpSpans(placed: readonly OtlpPlacedSpan[], options: { readonly limits?: OtlpLimits; readonly scopeVersion?: string } = {}): OtlpExportBatch[] {
  return packBatches(placed, options.limits ?? OTLP_ENDPOINT_LIMITS, options.scopeVersion);
}

interface OpenBatch {
  readonly placed: OtlpPlacedSpan[];
  minStartMs: number;
  maxStartMs: number;
  estimatedBytes: number;
  readonly resourceKeys: Set<string>;
}

/** Per-span framing (field tag + length varint) and per-resource overhead, on top of the span bytes. */
const SPAN_FRAMING_BYTES = 6;
const RESOURCE_FRAMING_BYTES = 96;

function packBatches(placed: readonly OtlpPlacedSpan[], limits: OtlpLimits, scopeVersion: string | undefined): OtlpExportBatch[] {
  const open: OpenBatch[] = [];
  for (const p of placed) {
    const resourceBytes = RESOURCE_FRAMING_BYTES + p.resourceKey.length;
    let target: OpenBatch | undefined;
    for (const batch of open) {
      const added = p.estimatedBytes + SPAN_FRAMING_BYTES + (batch.resourceKeys.has(p.resourceKey) ? 0 : resourceBytes);
      if (batch.placed.length >= limits.maxSpansPerRequest) continue;
      if (batch.estimatedBytes + added > limits.maxRequestBytes) continue;
      if (Math.max(batch.maxStartMs, p.startMs) - Math.min(batch.minStartMs, p.startMs) > limits.maxRequestSpreadMs) continue;
      target = batch;
      break;
    }
    if (target === undefined) {
      target = { placed: [], minStartMs: p.startMs, maxStartMs: p.startMs, estimatedBytes: 0, resourceKeys: new Set() };
      open.push(target);
    }
    target.estimatedBytes += p.estimatedBytes + SPAN_FRAMING_BYTES + (target.resourceKeys.has(p.resourceKey) ? 0 : resourceBytes);
    target.resourceKeys.add(p.resourceKey);
    target.placed.push(p);
    target.minStartMs = Math.min(target.minStartMs, p.startMs);
    target.maxStartMs = Math.max(target.maxStartMs, p.startMs);
  }
  return open.flatMap((batch) => finishBatch(batch.placed, limits, scopeVersion));
}

/** Encodes a batch; one whose body still exceeds the byte limit (the estimate was short) is halved. */
function finishBatch(placed: readonly OtlpPlacedSpan[], limits: OtlpLimits, scopeVersion: string | undefined): OtlpExportBatch[] {
  const groups = new Map<string, { attributes: readonly KeyValue[]; spans: OtlpPlacedSpan[] }>();
  for (const p of placed) {
    let group = groups.get(p.resourceKey);
    if (group === undefined) {
      group = { attributes: p.resourceAttributes, spans: [] };
      groups.set(p.resourceKey, group);
    }
    group.spans.push(p);
  }
  const scope = scopeVersion === undefined ? { name: OTLP_SCOPE_NAME } : { name: OTLP_SCOPE_NAME, version: scopeVersion };
  const resourceSpans: OtlpResourceSpans[] = [];
  const spanIndexes: number[] = [];
  for (const group of groups.values()) {
    resourceSpans.push({
      resource: { attributes: group.attributes },
      scopeSpans: [{ scope, spans: group.spans.map((p) => p.span), schemaUrl: OTLP_SCHEMA_URL }],
      schemaUrl: OTLP_SCHEMA_URL,
    });
    for (const p of group.spans) spanIndexes.push(p.index);
  }
  const request: ExportTraceServiceRequest = { resourceSpans };
  const body = encodeExportRequest(request);
  if (body.length > limits.maxRequestBytes && placed.length > 1) {
    const half = Math.ceil(placed.length / 2);
    return [...finishBatch(placed.slice(0, half), limits, scopeVersion), ...finishBatch(placed.slice(half), limits, scopeVersion)];
  }
  return [{ request, body, spanIndexes }];
}
