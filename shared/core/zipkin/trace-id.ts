/**
 * The low 64 bits of a trace id (its last 16 hex characters), so that a 64-bit id can be compared with a
 * 128-bit one: Envoy with 64-bit ids and a caller with 128-bit ids still name the same trace.
 */
export function traceIdLow64(traceId: string): string {
  return traceId.length > 16 ? traceId.slice(traceId.length - 16) : traceId;
}
