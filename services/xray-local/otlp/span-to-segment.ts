/**
 * xray-local's OTLP span → X-Ray segment document mapping, written independently of meshray's translator
 * (shared/core/xray, shared/core/otlp) so the two check each other. It follows the published conversion rules:
 * the X-Ray segment document reference (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html:
 * segments, independent subsegments with `parent_id`/`type`, `namespace: "remote"` for downstream calls,
 * inferred nodes from remote subsegments; error 4xx, throttle 429, fault 5xx) and the ADOT/OpenTelemetry
 * Collector awsxray exporter's documented span conversion (exporter/awsxrayexporter README, "Data
 * Conversion"; internal/translator/segment.go): SERVER/CONSUMER spans become segments named by the
 * resource's `service.name`; CLIENT/PRODUCER spans become remote subsegments named by `aws.remote.service`,
 * else `peer.service`, else the server address; other spans are local subsegments named by the span name;
 * the HTTP block from `http.request.method`/`http.method`, `url.full`/`http.url`,
 * `http.response.status_code`/`http.status_code`; span status ERROR without an HTTP error status is a
 * fault. A root CLIENT/PRODUCER span (a gateway that only calls) becomes a segment for its service with
 * the remote subsegment under it, so the caller appears as a node, as X-Ray's service map shows it.
 *
 * W3C trace id → X-Ray trace id: `1-<first 8 hex>-<last 24 hex>` (the CloudWatch Transaction Search page:
 * spans sent to the OTLP endpoint keep their W3C ids).
 */
import { sanitizeAnnotationKey } from '../../../shared/core/xray/annotations.ts';
import { createHash } from 'node:crypto';
import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { JsonAnyValue, JsonKeyValue, JsonSpan } from './decode-export-request.ts';

export type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue };

/** Plain value of an OTLP AnyValue. */
export function plainValue(value: JsonAnyValue | undefined): AttributeValue {
  if (value === undefined) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plainValue);
  if (value.kvlistValue !== undefined) return flatten(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue as number[]).toString('base64');
  return '';
}

export function flatten(attributes: readonly JsonKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of attributes ?? []) out[kv.key] = plainValue(kv.value);
  return out;
}

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
export const kindName = (kind: number | undefined): string => KIND_NAMES[kind ?? 0] ?? 'UNSPECIFIED';

/** `1-<8 hex>-<24 hex>` of a 32-hex W3C trace id. */
export const xrayTraceIdOf = (w3cHex: string): string => `1-${w3cHex.slice(0, 8)}-${w3cHex.slice(8)}`;

/** Epoch seconds (microsecond precision) of a nanosecond decimal string. */
export function secondsOf(nanos: string | undefined): number {
  if (nanos === undefined || nanos === '') return 0;
  return Number(BigInt(nanos) / 1000n) / 1e6;
}

const DISALLOWED = /[^\p{L}\p{N}\p{Z}_.:/%&#=+\-@]/gu;

/** A segment name X-Ray takes: disallowed characters → `_`, at most 200 characters, never empty. */
function segmentName(raw: AttributeValue | undefined): string {
  const text = typeof raw === 'string' ? raw : raw === undefined ? '' : String(raw);
  const cleaned = text.replace(DISALLOWED, '_');
  const name = [...cleaned].slice(0, 200).join('');
  return name.length > 0 ? name : 'unknown';
}

function hostOf(url: AttributeValue | undefined): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The segment document schema's bounds on what an attribute's value is copied into
 * (shared/core/xray/schema/segment-document-schema-v1.0.0.json: `http.request` strings ≤ 250 characters,
 * annotation string values ≤ 1000): a longer value is cut there, as X-Ray's own converters do, and stays whole
 * in `metadata.otel.attributes` while the document fits 64 KB. The endpoint takes spans up to 200 KB.
 */
const MAX_HTTP_CHARS = 250;
const MAX_ANNOTATION_VALUE_CHARS = 1000;
/** At most 50 annotations a document (X-Ray's segment document reference): the first 50 the span lists. */
const MAX_ANNOTATIONS = 50;

/** At most `max` code points of `text`. */
const cut = (text: string, max: number): string => (text.length <= max ? text : [...text].slice(0, max).join(''));

const asString = (v: AttributeValue | undefined): string | undefined => (typeof v === 'string' && v.length > 0 ? cut(v, MAX_HTTP_CHARS) : undefined);
const asInt = (v: AttributeValue | undefined): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
};

/** The id of the segment made for a root CLIENT/PRODUCER span's own service (deterministic). */
function localSegmentIdOf(spanId: string): string {
  return createHash('sha256').update(`${spanId}/otlp-local-segment`).digest('hex').slice(0, 16);
}

export interface ConvertedSpan {
  readonly xrayTraceId: string;
  readonly documents: SegmentDocument[];
}

/**
 * X-Ray's rule for OTLP attributes: they are metadata, except those the span lists in the string array
 * attribute `aws.xray.annotations`, which are indexed as annotations (key in X-Ray's annotation charset)
 * when their value is a string, number or boolean (CloudWatch User Guide, Transaction Search, "span
 * attributes"; the OpenTelemetry awsxrayexporter reads the same attribute).
 */
function annotationsOf(attrs: Readonly<Record<string, AttributeValue>>): Record<string, string | number | boolean> | undefined {
  const listed = attrs['aws.xray.annotations'];
  if (!Array.isArray(listed)) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const key of listed) {
    if (Object.keys(out).length >= MAX_ANNOTATIONS) break;
    if (typeof key !== 'string' || !Object.hasOwn(attrs, key)) continue;
    const value = attrs[key];
    if (typeof value === 'string') out[sanitizeAnnotationKey(key)] = cut(value, MAX_ANNOTATION_VALUE_CHARS);
    else if (typeof value === 'number' || typeof value === 'boolean') out[sanitizeAnnotationKey(key)] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Segment documents for one span; `resource` is the flattened resource attributes of its ResourceSpans. */
export function segmentsOfSpan(span: JsonSpan, resource: Record<string, AttributeValue>): ConvertedSpan {
  const attrs = flatten(span.attributes);
  const kind = span.kind ?? 0;
  const xrayTraceId = xrayTraceIdOf(span.traceId);
  const service = segmentName(resource['service.name'] ?? span.name);
  const base = {
    trace_id: xrayTraceId,
    start_time: secondsOf(span.startTimeUnixNano),
    end_time: Math.max(secondsOf(span.endTimeUnixNano), secondsOf(span.startTimeUnixNano)),
  };
  const method = asString(attrs['http.request.method']) ?? asString(attrs['http.method']);
  const url = asString(attrs['url.full']) ?? asString(attrs['http.url']);
  const status = asInt(attrs['http.response.status_code']) ?? asInt(attrs['http.status_code']);
  const userAgent = asString(attrs['user_agent.original']) ?? asString(attrs['http.user_agent']);
  const clientIp = asString(attrs['client.address']);
  const contentLength = asInt(attrs['http.response.body.size']);
  const http: NonNullable<SegmentDocument['http']> = {};
  const request: Record<string, string> = {};
  if (method !== undefined) request['method'] = method;
  if (url !== undefined) request['url'] = url;
  if (userAgent !== undefined) request['user_agent'] = userAgent;
  if (clientIp !== undefined && (kind === 2 || kind === 5)) request['client_ip'] = clientIp;
  if (Object.keys(request).length > 0) http.request = request;
  const response: Record<string, number> = {};
  if (status !== undefined && status > 0) response['status'] = status;
  if (contentLength !== undefined) response['content_length'] = contentLength;
  if (Object.keys(response).length > 0) http.response = response;

  const flags: Record<string, unknown> = {};
  const isError = span.status?.code === 2;
  if (status !== undefined && status >= 500 && status <= 599) flags['fault'] = true;
  else if (status === 429) Object.assign(flags, { error: true, throttle: true });
  else if (status !== undefined && status >= 400 && status <= 499) flags['error'] = true;
  else if (isError) flags['fault'] = true;
  if (isError && span.status?.message !== undefined && span.status.message.length > 0) {
    flags['cause'] = { exceptions: [{ id: createHash('sha256').update(`${span.spanId}/cause`).digest('hex').slice(0, 16), message: span.status.message.slice(0, 250) }] };
  }
  const annotations = annotationsOf(attrs);
  const detail = {
    ...(Object.keys(http).length > 0 ? { http } : {}),
    ...flags,
    ...(annotations !== undefined ? { annotations } : {}),
    metadata: { otel: { kind: kindName(kind), name: span.name ?? '', resource, attributes: attrs } },
  };

  const parent = span.parentSpanId;
  const documents: SegmentDocument[] = [];
  if (kind === 3 || kind === 4) {
    const remote = segmentName(attrs['aws.remote.service'] ?? attrs['peer.service'] ?? attrs['server.address'] ?? hostOf(url) ?? span.name);
    if (parent === undefined) {
      const localId = localSegmentIdOf(span.spanId);
      // The caller's segment carries the call's HTTP block and failure too: the request it served failed with it.
      documents.push({ name: service, id: localId, ...base, ...detail } as SegmentDocument);
      documents.push({ name: remote, id: span.spanId, ...base, parent_id: localId, type: 'subsegment', namespace: 'remote', ...detail } as SegmentDocument);
    } else {
      documents.push({ name: remote, id: span.spanId, ...base, parent_id: parent, type: 'subsegment', namespace: 'remote', ...detail } as SegmentDocument);
    }
  } else if (kind === 2 || kind === 5 || parent === undefined) {
    documents.push({ name: service, id: span.spanId, ...base, ...(parent !== undefined ? { parent_id: parent } : {}), ...detail } as SegmentDocument);
  } else {
    documents.push({ name: segmentName(span.name), id: span.spanId, ...base, parent_id: parent, type: 'subsegment', ...detail } as SegmentDocument);
  }
  return { xrayTraceId, documents };
}
