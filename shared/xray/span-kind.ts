/**
 * Span kind and service names as a mesh sidecar means them. Zipkin's kind is trusted, but repaired from
 * Envoy's `upstream_cluster` tag (Istio ≤ 1.7.3 marks every sidecar span CLIENT): `inbound|…` is the
 * SERVER side, `outbound|…` the CLIENT side. A gateway's SERVER span is left alone: a gateway routes to
 * `outbound|…` clusters from its server side (its node id starts `router~`), and with upstream spans
 * Envoy reports the call itself as a separate CLIENT child.
 */
import type { Span, SpanKind } from '../zipkin/span.ts';

export interface ResolvedKind {
  readonly kind: SpanKind | undefined;
  /** True when the kind differs from the one Zipkin sent. */
  readonly repaired: boolean;
}

/** The Envoy cluster tag, under either of its names. */
export function upstreamClusterOf(span: Span): string | undefined {
  return span.tags['upstream_cluster'] ?? span.tags['upstream_cluster.name'];
}

export function resolveKind(span: Span): ResolvedKind {
  const given = span.kind;
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

/** `details.default.svc.cluster.local` → `details.default`; other hosts unchanged. */
export function serviceOfHost(host: string): string {
  const cut = host.indexOf('.svc.');
  return cut > 0 ? host.slice(0, cut) : host;
}

/** Host of `outbound|port|subset|host`, cut at `.svc.`; undefined for other cluster names. */
export function outboundServiceOf(cluster: string | undefined): string | undefined {
  if (cluster === undefined || !cluster.startsWith('outbound|')) return undefined;
  const host = cluster.slice(cluster.lastIndexOf('|') + 1);
  return host.length > 0 ? serviceOfHost(host) : undefined;
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
 * Name of the service a CLIENT/PRODUCER span calls: the Istio outbound cluster's host, then
 * `remoteEndpoint.serviceName`, the `http.url` host, `peer.address`, and finally any other (non-Istio)
 * Envoy cluster name. Raw, not yet sanitised.
 */
export function remoteServiceOf(span: Span): string | undefined {
  const cluster = upstreamClusterOf(span);
  return (
    nonEmpty(outboundServiceOf(cluster)) ??
    nonEmpty(span.remoteEndpoint?.serviceName) ??
    nonEmpty(hostOfUrl(span.tags['http.url'])) ??
    nonEmpty(peerAddressOf(span)) ??
    (cluster !== undefined && !cluster.includes('|') ? nonEmpty(cluster) : undefined)
  );
}

export function peerAddressOf(span: Span): string | undefined {
  const peer = span.tags['peer.address'];
  return peer === undefined ? undefined : stripPort(peer);
}

// Kubernetes' rand.SafeEncodeString alphabet, used for pod-template-hash and pod name suffixes.
const POD_SUFFIX = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/;
const TEMPLATE_HASH = /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/;
const ORDINAL = /^\d+$/;

/** `productpage-v1-6c668694dc-6x2xd` → `productpage-v1` (Deployment), `web-0` → `web` (StatefulSet). */
export function workloadOfPod(pod: string): string {
  const parts = pod.split('-');
  if (parts.length >= 3 && POD_SUFFIX.test(parts[parts.length - 1] ?? '') && TEMPLATE_HASH.test(parts[parts.length - 2] ?? '')) {
    return parts.slice(0, -2).join('-');
  }
  if (parts.length >= 2) {
    const last = parts[parts.length - 1] ?? '';
    if (POD_SUFFIX.test(last) || ORDINAL.test(last)) return parts.slice(0, -1).join('-');
  }
  return pod;
}

/** `sidecar~10.0.0.12~productpage-v1-6c668694dc-6x2xd.default~default.svc.cluster.local` → `productpage-v1.default`. */
export function workloadOfNodeId(nodeId: string | undefined): string | undefined {
  if (nodeId === undefined) return undefined;
  const parts = nodeId.split('~');
  if (parts.length < 4) return undefined;
  const podDotNs = parts[2] ?? '';
  const dot = podDotNs.indexOf('.');
  const pod = dot >= 0 ? podDotNs.slice(0, dot) : podDotNs;
  if (pod.length === 0) return undefined;
  const workload = workloadOfPod(pod);
  return dot >= 0 ? `${workload}${podDotNs.slice(dot)}` : workload;
}

/**
 * Name of the workload that recorded the span: `localEndpoint.serviceName`, else Istio's canonical service
 * (`istio.canonical_service.istio.namespace`), else the workload parsed from Envoy's `node_id`. Raw.
 */
export function localServiceOf(span: Span): string | undefined {
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
