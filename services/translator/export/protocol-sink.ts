import type { XRayClient } from '@aws-sdk/client-xray';
import type { TranslatorMetrics } from '../metrics.ts';
import type { ProtocolSink } from '../translator.ts';
import type { ExportProtocol } from './export-document.ts';
import { OtlpHttpSpanSink, type OtlpSinkSettings } from './otlp-span-sink.ts';
import type { ExportCallObserver } from './stages/put-trace-segments-sink.ts';
import { XRaySegmentSink } from './xray-segment-sink.ts';

/**
 * THE choice of export adapter from configuration (the translator, the all-in-one and `meshray replay`):
 * EXPORT_PROTOCOL=segments → XRaySegmentSink (PutTraceSegments through `client`); otlp → OtlpHttpSpanSink
 * (`/v1/traces` of XRAY_ENDPOINT, or of X-Ray in `region`, signed with `client`'s credentials).
 * `segmentsClient`, when given, answers PutTraceSegments instead of `client` (the all-in-one's embedded
 * xray-local, in process: no loopback HTTP, signing or JSON).
 */
export function exportSinkFromSettings(
  settings: OtlpSinkSettings & { readonly EXPORT_PROTOCOL: ExportProtocol },
  deps: { client: XRayClient; segmentsClient?: Pick<XRayClient, 'send'>; endpoint: string | undefined; region: string; metrics: TranslatorMetrics; health?: ExportCallObserver },
): ProtocolSink {
  const observer = deps.health ? { health: deps.health } : {};
  if (settings.EXPORT_PROTOCOL === 'otlp') {
    return { protocol: 'otlp', sink: OtlpHttpSpanSink.fromSettings(settings, { client: deps.client, endpoint: deps.endpoint, region: deps.region, metrics: deps.metrics, ...observer }) };
  }
  return { protocol: 'segments', sink: XRaySegmentSink.fromSettings(settings, { client: deps.segmentsClient ?? deps.client, metrics: deps.metrics, ...observer }) };
}
