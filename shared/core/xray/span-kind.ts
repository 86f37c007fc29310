/**
 * Span kind and service names as a mesh proxy means them. Zipkin's kind is trusted, but repaired from
 * Envoy's `upstream_cluster` tag (Istio ≤ 1.7.3 marks every sidecar span CLIENT): `inbound|…` is the
 * SERVER side, `outbound|…` the CLIENT side. A gateway's SERVER span is left alone: a gateway routes to
 * `outbound|…` clusters from its server side (its node id starts `router~`), and with upstream spans
 * Envoy reports the call itself as a separate CLIENT child. A waypoint span (ambient mode, istio-naming.ts)
 * is the SERVER side of its hop (its listener is inbound), named after the destination service, unless the
 * request never reached a destination: then it is the caller's CLIENT side.
 */
import type { Span, SpanKind } from '../zipkin/span.ts';
import {
  destinationServiceOf, isWaypointSpan, serviceOfCluster, sourceServiceOf, upstreamClusterOf,
  waypointCallFailed, waypointNameOf, workloadOfNodeId,
} from './istio-naming.ts';

export { serviceOfHost, upstreamClusterOf, workloadOfNodeId, workloadOfPod } from './istio-naming.ts';

export interface ResolvedKind {
  readonly kind: SpanKind | undefined;
  /** True when the kind differs from the one Zipkin sent. */
  readonly repaired: boolean;
}

/**
 * The kind a span is translated as, by the module header's rules (waypoint → SERVER, or CLIENT when the call
 * failed; `inbound|…` → SERVER, `outbound|…` → CLIENT except a gateway's SERVER), and whether that repaired the
 * kind Zipkin sent (counted as `kind_repaired`).
 */
export function resolveKind(span: Span): ResolvedKind {
  const given = span.kind;
  if (isWaypointSpan(span)) {
    const kind: SpanKind = waypointCallFailed(span) ? 'CLIENT' : 'SERVER';
    return given === kind ? { kind, repaired: false } : { kind, repaired: true };
  }
  const cluster = upstreamClusterOf(span);
  if (cluster !== undefined) {
    if (cluster.startsWith('inbound|') && given !== 'SERVER' && given !== 'CONSUMER') {
      return { kind: 'SERVER', repaired: true };
    }
    if (cluster.startsWith('outbound|') && given !== 'CLIENT' && given !== 'PRODUCER' && !(given === 'SERVER' && isGateway(span))) {
      return { kind: 'CLIENT', repaired: true };
    }
  }
  return { kind: given, repaired: false };
}

/** Istio names a gateway's Envoy `router~…` in `node_id` (sidecars are `sidecar~…`). */
function isGateway(span: Span): boolean {
  return span.tags['node_id']?.startsWith('router~') === true;
}

/** Host of `outbound|port|subset|host`, cut at `.svc.`; undefined for other cluster names. */
export function outboundServiceOf(cluster: string | undefined): string | undefined {
  if (cluster === undefined || !cluster.startsWith('outbound|')) return undefined;
  return serviceOfCluster(cluster);
}

/** Host of an absolute URL (`scheme://[user@]host[:port]/…`), without port; undefined if none. */
export function hostOfUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  let end = url.length;
  for (const stop of ['/', '?', '#']) {
    const at = url.indexOf(stop, scheme + 3);
    if (at >= 0 && at < end) end = at;
  }
  let authority = url.slice(scheme + 3, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const host = stripPort(authority);
  return host.length > 0 ? host : undefined;
}

/** `10.0.0.1:8080` → `10.0.0.1`, `[::1]:80` → `::1`; a bare IPv6 address is left whole. */
export function stripPort(address: string): string {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    return close > 0 ? address.slice(1, close) : address;
  }
  const colon = address.indexOf(':');
  if (colon < 0) return address;
  if (address.indexOf(':', colon + 1) >= 0) return address; // bare IPv6
  return address.slice(0, colon);
}

/**
 * Name of the service a CLIENT/PRODUCER span calls: a waypoint span's destination service, else the Istio
 * outbound cluster's host, `remoteEndpoint.serviceName`, the `http.url` host, `peer.address`, and finally any
 * other (non-Istio) Envoy cluster name. Raw, not yet sanitised.
 */
export function remoteServiceOf(span: Span): string | undefined {
  const cluster = upstreamClusterOf(span);
  return (
    (isWaypointSpan(span) ? destinationServiceOf(span) : undefined) ??
    nonEmpty(outboundServiceOf(cluster)) ??
    nonEmpty(span.remoteEndpoint?.serviceName) ??
    nonEmpty(hostOfUrl(span.tags['http.url'])) ??
    nonEmpty(peerAddressOf(span)) ??
    (cluster !== undefined && !cluster.includes('|') ? nonEmpty(cluster) : undefined)
  );
}

/** The `peer.address` tag (Envoy: the peer's `ip:port`, or `envoy://…` for an internal address) without its port. */
export function peerAddressOf(span: Span): string | undefined {
  const peer = span.tags['peer.address'];
  return peer === undefined ? undefined : stripPort(peer);
}

/**
 * Name of the workload that recorded the span: `localEndpoint.serviceName`, else Istio's canonical service
 * (`istio.canonical_service.istio.namespace`), else the workload parsed from Envoy's `node_id`. Raw.
 * A waypoint span stands for the side of the hop it records: the destination service that handled the
 * request (the caller, `istio.source_*`, when the request never reached one), the waypoint itself only
 * when the span names neither.
 */
export function localServiceOf(span: Span): string | undefined {
  if (isWaypointSpan(span)) {
    const side = waypointCallFailed(span) ? sourceServiceOf(span) : destinationServiceOf(span);
    return side ?? waypointNameOf(span);
  }
  const serviceName = nonEmpty(span.localEndpoint?.serviceName);
  if (serviceName !== undefined) return serviceName;
  const canonical = nonEmpty(span.tags['istio.canonical_service']);
  if (canonical !== undefined) {
    const namespace = nonEmpty(span.tags['istio.namespace']);
    return namespace === undefined ? canonical : `${canonical}.${namespace}`;
  }
  return workloadOfNodeId(span.tags['node_id']);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
