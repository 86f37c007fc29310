/**
 * Writers for the parts of a segment document that come straight from the span: its `http` block and the
 * `metadata.zipkin` copy of the span. Each gives exactly what `JSON.stringify` of the equivalent object gives.
 */
import type { Endpoint, Span } from '../zipkin/span.ts';
import type { Http } from './segment-document.ts';
import { JsonObjectWriter, numberJson, quoteJson } from './json.ts';

/** `JSON.stringify(http)` for an `http` block built by `buildHttp`. */
export function httpJsonOf(http: Http): string {
  const out = new JsonObjectWriter();
  const request = http.request;
  if (request !== undefined) {
    const w = new JsonObjectWriter();
    if (request.method !== undefined) w.string('method', request.method);
    if (request.url !== undefined) w.string('url', request.url);
    if (request.user_agent !== undefined) w.string('user_agent', request.user_agent);
    if (request.client_ip !== undefined) w.string('client_ip', request.client_ip);
    out.raw('request', w.close());
  }
  const response = http.response;
  if (response !== undefined) {
    const w = new JsonObjectWriter();
    if (response.status !== undefined) w.number('status', response.status);
    if (response.content_length !== undefined) w.number('content_length', response.content_length);
    out.raw('response', w.close());
  }
  return out.close();
}

function endpointJsonOf(endpoint: Endpoint): string {
  const w = new JsonObjectWriter();
  if (endpoint.serviceName !== undefined) w.string('serviceName', endpoint.serviceName);
  if (endpoint.ipv4 !== undefined) w.string('ipv4', endpoint.ipv4);
  if (endpoint.ipv6 !== undefined) w.string('ipv6', endpoint.ipv6);
  if (endpoint.port !== undefined) w.number('port', endpoint.port);
  return w.close();
}

function annotationsJsonOf(span: Span): string {
  let json = '';
  for (const a of span.annotations) {
    const item = `{"timestampMicros":${numberJson(a.timestampMicros)},"value":${quoteJson(a.value)}}`;
    json = json === '' ? item : `${json},${item}`;
  }
  return `[${json}]`;
}

/** The Zipkin span a document came from, so the console can show it (`metadata.zipkin`). */
export function zipkinMetadataJsonOf(span: Span): string {
  const w = new JsonObjectWriter().string('traceId', span.traceId).string('id', span.id);
  if (span.parentId !== undefined) w.string('parentId', span.parentId);
  if (span.kind !== undefined) w.string('kind', span.kind);
  if (span.name !== undefined) w.string('name', span.name);
  if (span.localEndpoint !== undefined) w.raw('localEndpoint', endpointJsonOf(span.localEndpoint));
  if (span.remoteEndpoint !== undefined) w.raw('remoteEndpoint', endpointJsonOf(span.remoteEndpoint));
  if (span.shared === true) w.raw('shared', 'true');
  if (span.annotations.length > 0) w.raw('annotations', annotationsJsonOf(span));
  return w.close();
}
