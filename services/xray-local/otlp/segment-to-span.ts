/**
 * A segment document (PutTraceSegments) as the OTLP/JSON span Transaction Search stores for it: "X-Ray
 * traces automatically convert to the semantic convention format before they're stored in a log group
 * called aws/spans" (CloudWatch User Guide, "Transaction Search",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search.html).
 * xray-local's reading of that conversion: a segment is a SERVER span of the service it names, a remote
 * subsegment a CLIENT span with `aws.remote.service`, any other subsegment an INTERNAL span; the HTTP
 * block in current HTTP semantic conventions; error/fault as status ERROR.
 */
import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';

const nanosOf = (seconds: number | undefined): string => (seconds === undefined ? '0' : (BigInt(Math.round(seconds * 1e6)) * 1000n).toString());

/** `1-5d0d2104-8a2daf31f6604fffcf8ffe2a` → `5d0d21048a2daf31f6604fffcf8ffe2a` */
export const w3cTraceIdOf = (xrayTraceId: string): string => xrayTraceId.slice(2).replace('-', '');

export function spanDocumentOfSegment(doc: SegmentDocument): string {
  const isSegment = doc.type !== 'subsegment';
  const kind = isSegment ? 2 : doc.namespace === 'remote' ? 3 : 1;
  const attributes: { key: string; value: Record<string, unknown> }[] = [];
  const text = (key: string, value: string | undefined): void => {
    if (value !== undefined) attributes.push({ key, value: { stringValue: value } });
  };
  const int = (key: string, value: number | undefined): void => {
    if (value !== undefined) attributes.push({ key, value: { intValue: String(value) } });
  };
  if (kind === 3) {
    text('aws.remote.service', doc.name);
    text('peer.service', doc.name);
  }
  text('http.request.method', doc.http?.request?.method);
  text('url.full', doc.http?.request?.url);
  text('user_agent.original', doc.http?.request?.user_agent);
  text('client.address', doc.http?.request?.client_ip);
  int('http.response.status_code', doc.http?.response?.status);
  int('http.response.body.size', doc.http?.response?.content_length);
  const failed = doc.fault === true || doc.error === true;
  const message = doc.cause !== undefined && 'exceptions' in doc.cause ? doc.cause.exceptions[0]?.message : undefined;
  return JSON.stringify({
    resource: { attributes: isSegment ? [{ key: 'service.name', value: { stringValue: doc.name } }] : [] },
    scope: { name: 'xray-segment' },
    traceId: w3cTraceIdOf(doc.trace_id),
    spanId: doc.id,
    ...(doc.parent_id !== undefined ? { parentSpanId: doc.parent_id } : {}),
    name: doc.name,
    kind,
    startTimeUnixNano: nanosOf(doc.start_time),
    endTimeUnixNano: nanosOf(doc.end_time ?? doc.start_time),
    attributes,
    status: failed ? { code: 2, ...(message !== undefined ? { message } : {}) } : {},
  });
}
