/** The `http` block of a document, from Envoy's tags. Absent fields are omitted; status is never 0. */
import type { Http, HttpRequest, HttpResponse } from './segment-document.ts';
import { MAX_STRING_CHARS, truncateChars } from './limits.ts';
import { stripPort } from './span-kind.ts';

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

/**
 * `clientIp` applies to the side that received the request (SERVER spans: `peer.address` is the caller).
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
    const peer = tags['peer.address'];
    if (peer !== undefined && peer.length > 0) request.client_ip = truncateChars(stripPort(peer), MAX_STRING_CHARS);
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
