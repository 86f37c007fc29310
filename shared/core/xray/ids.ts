/**
 * Deterministic 64-bit ids for documents that have no Zipkin span id of their own (the server side of a
 * shared span, the workload segment of a root CLIENT span, cause exceptions).
 */

/** `(spanId, role) => 16 lowercase hex digits`, never equal to `spanId`. Must be a pure function. */
export type DeriveId = (spanId: string, role: string) => string;

const TWO_POW_32 = 4294967296;

/** FNV-1a 64 over the UTF-16 code units of `input`, as 16 lowercase hex digits. */
export function fnv1a64Hex(input: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < input.length; i += 1) {
    lo = (lo ^ input.charCodeAt(i)) >>> 0;
    // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / TWO_POW_32);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = loProduct >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Default id derivation: FNV-1a 64 of `${spanId}:${role}`, re-hashed in the (2^-64) case it hits the input or 0. */
export const deriveIdByHash: DeriveId = (spanId, role) => {
  let id = fnv1a64Hex(`${spanId}:${role}`);
  for (let salt = 1; id === spanId || id === '0000000000000000'; salt += 1) {
    id = fnv1a64Hex(`${spanId}:${role}:${salt}`);
  }
  return id;
};

/**
 * The `role` a SERVER span sharing its id with its CLIENT derives its segment id under: `server:<local
 * service>`. The local service is part of it because one Zipkin span id can carry several SERVER spans: with
 * Envoy's `shared_span_context` and a Zipkin-instrumented app behind the sidecar (Brave joins by default), the
 * caller's CLIENT, the sidecar's SERVER and the app's SERVER all carry the caller's span id (zipkin2 `Span.shared`;
 * Brave `Propagation.Factory.supportsJoin`). With the id alone both SERVER spans got one segment id and X-Ray kept
 * one of them. Without a local service it is `server`.
 */
export function sharedServerRole(localService: string | undefined): string {
  return localService === undefined || localService === '' ? 'server' : `server:${localService}`;
}
