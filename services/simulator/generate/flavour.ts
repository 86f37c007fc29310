/**
 * What the Envoys of one Istio generation emit differently:
 * - `1.7`: Istio ≤ 1.7.3, every sidecar span has kind CLIENT, even the inbound (server side) ones;
 * - `1.7.4`: kinds fixed (inbound SERVER, outbound CLIENT), `serviceName` like `productpage.default`, no annotations;
 * - `modern`: Istio ≥ 1.10 style: `istio.*` tags, `upstream_cluster.name`, one `cr`/`ss` annotation at finish,
 *   inbound clusters `inbound|9080||`, and the gateway emits a SERVER span plus a CLIENT child;
 * - `ambient`: Istio ambient mode, the same traffic as `modern`: the gateway as in `modern`, no sidecars, one
 *   waypoint per namespace reporting one SERVER span per hop it carries (serviceName `waypoint.<ns>`, node_id
 *   `waypoint~…`, cluster `inbound-vip|9080|http|<host>`, `istio.destination_*` / `istio.source_*` peer tags),
 *   ztunnel reporting none. The namespace sends the gateway's traffic through its waypoint too
 *   (`istio.io/ingress-use-waypoint`), so every Bookinfo hop has a span.
 */
export type Flavour = '1.7' | '1.7.4' | 'modern' | 'ambient';
export const FLAVOURS: readonly Flavour[] = ['1.7', '1.7.4', 'modern', 'ambient'];
/** The flavours with sidecars (every hop reported by a CLIENT span and, when it got through, a SERVER span). */
export const SIDECAR_FLAVOURS: readonly Flavour[] = ['1.7', '1.7.4', 'modern'];
export const isFlavour = (s: string): s is Flavour => (FLAVOURS as readonly string[]).includes(s);

export type ReviewsVersion = 'v1' | 'v2' | 'v3';
export const REVIEWS_VERSIONS: readonly ReviewsVersion[] = ['v1', 'v2', 'v3'];

/**
 * Spans one successful request (no injected fault) produces: the gateway's root span(s), productpage's
 * SERVER, a CLIENT + SERVER pair per hop (details, reviews, and ratings for reviews v2/v3); in ambient mode
 * the gateway's two spans and one waypoint span per hop. Injected errors do not change the count; an
 * injected fault removes the failed hop's SERVER span and everything below it (in ambient mode, everything
 * below the failed hop's waypoint span).
 */
export function spansPerRequest(flavour: Flavour, reviews: ReviewsVersion): number {
  if (flavour === 'ambient') return 2 + 1 + 1 + 1 + (reviews === 'v1' ? 0 : 1);
  const gateway = flavour === 'modern' ? 2 : 1;
  const productpage = 1;
  const details = 2;
  const reviewsHop = 2;
  const ratings = reviews === 'v1' ? 0 : 2;
  return gateway + productpage + details + reviewsHop + ratings;
}

/** Spans of `requests` fault-free requests routed round-robin over v1, v2, v3 from request index 0. */
export function spansForRoundRobin(flavour: Flavour, requests: number): number {
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const count = Math.floor(requests / 3) + (i < requests % 3 ? 1 : 0);
    total += count * spansPerRequest(flavour, REVIEWS_VERSIONS[i] as ReviewsVersion);
  }
  return total;
}
