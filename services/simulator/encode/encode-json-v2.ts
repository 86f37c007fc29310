/**
 * meshray's span model → Zipkin v2 JSON, in the style Envoy's `HTTP_JSON` collector posts: tags are strings,
 * `localEndpoint.port` is written when set (Envoy writes 0), annotations only when there are some.
 * `decodeJsonV2(encodeSpansJsonV2(spans))` gives the spans back (the decoder drops port 0).
 */
import type { Annotation, Endpoint, Span } from '../../../shared/zipkin/span.ts';

const str = JSON.stringify;

/** A JSON array of spans, the body of one `POST /api/v2/spans`. */
export function encodeSpansJsonV2(spans: readonly Span[]): string {
  let out = '[';
  for (let i = 0; i < spans.length; i++) {
    if (i > 0) out += ',';
    out += encodeSpanJsonV2(spans[i] as Span);
  }
  return `${out}]`;
}

/** One span object (one ndjson line, as `meshray capture` writes). */
export function encodeSpanJsonV2(span: Span): string {
  let out = `{"traceId":"${span.traceId}"`;
  if (span.parentId !== undefined) out += `,"parentId":"${span.parentId}"`;
  out += `,"id":"${span.id}"`;
  if (span.kind !== undefined) out += `,"kind":"${span.kind}"`;
  if (span.name !== undefined) out += `,"name":${str(span.name)}`;
  if (span.timestampMicros !== undefined) out += `,"timestamp":${Math.trunc(span.timestampMicros)}`;
  if (span.durationMicros !== undefined) out += `,"duration":${Math.trunc(span.durationMicros)}`;
  if (span.localEndpoint !== undefined) out += `,"localEndpoint":${encodeEndpoint(span.localEndpoint)}`;
  if (span.remoteEndpoint !== undefined) out += `,"remoteEndpoint":${encodeEndpoint(span.remoteEndpoint)}`;
  if (span.annotations.length > 0) out += `,"annotations":${encodeAnnotations(span.annotations)}`;
  out += `,"tags":${encodeTags(span.tags)}`;
  if (span.debug === true) out += ',"debug":true';
  if (span.shared === true) out += ',"shared":true';
  return `${out}}`;
}

function encodeEndpoint(endpoint: Endpoint): string {
  const parts: string[] = [];
  if (endpoint.serviceName !== undefined) parts.push(`"serviceName":${str(endpoint.serviceName)}`);
  if (endpoint.ipv4 !== undefined) parts.push(`"ipv4":${str(endpoint.ipv4)}`);
  if (endpoint.ipv6 !== undefined) parts.push(`"ipv6":${str(endpoint.ipv6)}`);
  if (endpoint.port !== undefined) parts.push(`"port":${Math.trunc(endpoint.port)}`);
  return `{${parts.join(',')}}`;
}

function encodeAnnotations(annotations: readonly Annotation[]): string {
  return `[${annotations.map((a) => `{"timestamp":${Math.trunc(a.timestampMicros)},"value":${str(a.value)}}`).join(',')}]`;
}

function encodeTags(tags: Readonly<Record<string, string>>): string {
  let out = '{';
  let first = true;
  for (const key in tags) {
    const value = tags[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}${str(key)}:${str(String(value))}`;
    first = false;
  }
  return `${out}}`;
}
