/**
 * A `Retry-After` header value as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from
 * `nowMs` (epoch ms; a date in the past is 0); undefined when absent, blank or unreadable. Read by the OTLP sink
 * (the X-Ray OTLP endpoint's 429/503) and by `send`/`demo` (the receiver's 503).
 */
export function retryAfterMsOf(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
