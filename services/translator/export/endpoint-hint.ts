/**
 * What to check when XRAY_ENDPOINT answers a call with "no such route" (HTTP 404 or 405, on either export path): the
 * endpoint is not an X-Ray API (XRAY_ENDPOINT set to the receiver, a wrong path). Both export paths keep such
 * calls retryable (XRAY_UNAVAILABLE), so nothing is dropped while the operator fixes it, and readiness carries
 * this text (found by the newcomer trials of 2026-12-04).
 *
 * `route`: what X-Ray serves, e.g. "PutTraceSegments route, POST /TraceSegments" (X-Ray API Reference) or
 * "OTLP traces route, POST /v1/traces" (AWS X-Ray OTLP endpoint).
 */
export function notAnXRayApiHint(route: string): string {
  return `the endpoint has no ${route}: is XRAY_ENDPOINT an X-Ray API, xray-local or https://xray.<region>.amazonaws.com?`;
}

/**
 * True for an HTTP status by which an endpoint says it has no such route (404 Not Found, 405 Method Not Allowed):
 * what XRAY_ENDPOINT answers when it is not an X-Ray API. Such a call is retried (nothing dropped), and readiness
 * fails at once (health.ts ExportHealth, `misdirected`).
 */
export function isNoSuchRoute(status: number | undefined): boolean {
  return status === 404 || status === 405;
}
