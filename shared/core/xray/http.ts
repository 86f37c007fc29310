/** The `http` block of a document, from Envoy's tags. Absent fields are omitted; status is never 0. */
import type { Http, HttpRequest, HttpResponse } from './segment-document.ts';
import { MAX_STRING_CHARS, truncateChars } from './limits.ts';
import { isIpv4, isIpv6 } from '../zipkin/ip.ts';

const DECIMAL = /^\s*(\d{1,15})\s*$/;

/** Envoy sends numbers as strings; anything that is not a plain non-negative integer yields undefined. */
export function parseNonNegativeInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = DECIMAL.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** HTTP status from `http.status_code`, or undefined when absent, unparsable or 0. */
export function statusOf(tags: Readonly<Record<string, string>>): number | undefined {
  const status = parseNonNegativeInt(tags['http.status_code']);
  return status === undefined || status === 0 ? undefined : status;
}

function capped(value: string | undefined): string | undefined {
  return value === undefined ? undefined : truncateChars(value, MAX_STRING_CHARS);
}

const BRACKETED_WITH_PORT = /^\[([^\]]+)\](?::\d{1,5})?$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;

/**
 * The IP address in a `peer.address` tag (`10.0.0.1`, `10.0.0.1:51234`, `[2001:db8::1]:80`, `2001:db8::1`),
 * or undefined when it holds none: X-Ray's `http.request.client_ip` is "the IP address of the requester"
 * (X-Ray segment documents, HTTP request data). Istio ambient waypoints report
 * `envoy://internal_client_address/` (envoyproxy/envoy#38406), a pipe or a host name: such values stay in
 * metadata only. IPv6 is lowercased.
 */
export function clientIpOf(peerAddress: string | undefined): string | undefined {
  if (peerAddress === undefined) return undefined;
  const value = peerAddress.trim();
  if (isIpv4(value)) return value;
  if (isIpv6(value)) return value.toLowerCase();
  const v4 = IPV4_WITH_PORT.exec(value)?.[1];
  if (v4 !== undefined && isIpv4(v4)) return v4;
  const v6 = BRACKETED_WITH_PORT.exec(value)?.[1];
  if (v6 !== undefined && isIpv6(v6)) return v6.toLowerCase();
  return undefined;
}

/**
 * `clientIp` applies to the side that received the request (SERVER spans: `peer.address` is the caller);
 * the address is used only when it is an IP address (clientIpOf).
 */
export function buildHttp(tags: Readonly<Record<string, string>>, withClientIp: boolean): Http | undefined {
  const request: HttpRequest = {};
  const method = capped(tags['http.method']);
  if (method !== undefined) request.method = method;
  const url = capped(tags['http.url']);
  if (url !== undefined) request.url = url;
  const userAgent = capped(tags['user_agent'] ?? tags['http.user_agent']);
  if (userAgent !== undefined) request.user_agent = userAgent;
  if (withClientIp) {
    const clientIp = clientIpOf(tags['peer.address']);
    if (clientIp !== undefined) request.client_ip = clientIp;
  }
  const response: HttpResponse = {};
  const status = statusOf(tags);
  if (status !== undefined) response.status = status;
  const contentLength = parseNonNegativeInt(tags['response_size']);
  if (contentLength !== undefined) response.content_length = contentLength;

  const hasRequest = Object.keys(request).length > 0;
  const hasResponse = Object.keys(response).length > 0;
  if (!hasRequest && !hasResponse) return undefined;
  const http: Http = {};
  if (hasRequest) http.request = request;
  if (hasResponse) http.response = response;
  return http;
}
