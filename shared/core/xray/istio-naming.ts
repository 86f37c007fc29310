/**
 * How Istio names the workloads and services behind a span, sidecar and ambient (waypoint) alike. Pure.
 *
 * Ambient mode has no sidecars: layer 7 spans come from **waypoint** proxies (ztunnel, the layer 4 proxy,
 * reports none). A waypoint reports every hop it carries under its own identity:
 * - `localEndpoint.serviceName` `waypoint.<namespace>` (Envoy's local cluster name, Istio's `XdsNode.Cluster`;
 *   istio/istio#54901), or the destination's host (`reviews.default.svc.cluster.local`) where a release named
 *   spans by service (istio/istio#57024, Istio 1.27-1.29, reverted by #58688; kiali/kiali#8916, #9608);
 * - `node_id` `waypoint~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` (Istio's proxy type `waypoint`);
 * - `upstream_cluster` `inbound-vip|<port>|http[/<subset>]|<host>` for a service the waypoint serves
 *   (pilot/pkg/networking/core/listener_waypoint.go: `BuildSubsetKey(TrafficDirectionInboundVIP, …)`,
 *   `getWaypointDestinationCluster`, `portToSubset`), `outbound|…` for one it does not;
 * - `peer.address` `envoy://internal_client_address/` (the HBONE-terminating `main_internal` listener);
 * - `istio.canonical_service` `waypoint` etc. (its own pod's labels, `buildServiceTags`);
 * - since istio/istio#58818 (Istio 1.29): `istio.destination_{workload,namespace,cluster_id,canonical_service,
 *   canonical_revision,app,app_version,workload_type,instance_name}` from the upstream peer and the same
 *   `istio.source_*` from the downstream peer (pilot/pkg/networking/core/tracing.go `buildWaypointSourceTags`,
 *   Envoy `%FILTER_STATE(upstream_peer_obj:FIELD:…)%`; an unknown peer formats as `-`).
 *
 * meshray names a waypoint span after the **destination service** that handled the request, as the callee's
 * sidecar would have named it (`<canonical service>.<namespace>`), and its caller side after the source.
 */
import type { Span } from '../zipkin/span.ts';
import { NOT_FORWARDED_RESPONSE_FLAGS, failureFlagsOf } from './flags.ts';

/** The Envoy cluster tag, under either of its names. */
export function upstreamClusterOf(span: Span): string | undefined {
  return span.tags['upstream_cluster'] ?? span.tags['upstream_cluster.name'];
}

/** `details.default.svc.cluster.local` → `details.default`; other hosts unchanged. */
export function serviceOfHost(host: string): string {
  const cut = host.indexOf('.svc.');
  return cut > 0 ? host.slice(0, cut) : host;
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
 * Host of an Istio cluster name `direction|port|subset|host` when the direction is `outbound` or
 * `inbound-vip` (a waypoint's service cluster), cut at `.svc.`: `inbound-vip|9080|http|reviews.default.svc.cluster.local`
 * → `reviews.default`. Undefined for other names (`inbound|9080||` names no host).
 */
export function serviceOfCluster(cluster: string | undefined): string | undefined {
  if (cluster === undefined || !(cluster.startsWith('outbound|') || cluster.startsWith('inbound-vip|'))) return undefined;
  const host = cluster.slice(cluster.lastIndexOf('|') + 1);
  return host.length > 0 ? serviceOfHost(host) : undefined;
}

/**
 * True for a span a waypoint reported: `node_id` `waypoint~…` (a `node_id` of another proxy type, `sidecar~`
 * or `router~`, settles it the other way); without a `node_id`, an `inbound-vip|…` cluster (only waypoints
 * route HTTP to those) or the peer tags only waypoints set (`istio.destination_canonical_service`,
 * `istio.source_canonical_service`).
 */
export function isWaypointSpan(span: Span): boolean {
  const tags = span.tags;
  const nodeId = tags['node_id'];
  if (nodeId !== undefined) return nodeId.startsWith('waypoint~');
  if (upstreamClusterOf(span)?.startsWith('inbound-vip|') === true) return true;
  return tags['istio.destination_canonical_service'] !== undefined || tags['istio.source_canonical_service'] !== undefined;
}

/** A peer tag's value, or undefined when Envoy could not fill it (`-`, `unknown`, empty). */
function peerValue(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 || value === '-' || value === 'unknown' ? undefined : value;
}

function peerServiceOf(span: Span, side: 'source' | 'destination'): string | undefined {
  const service = peerValue(span.tags[`istio.${side}_canonical_service`]) ?? peerValue(span.tags[`istio.${side}_app`]);
  if (service === undefined) return undefined;
  const namespace = peerValue(span.tags[`istio.${side}_namespace`]);
  return namespace === undefined ? service : `${service}.${namespace}`;
}

/**
 * The service a waypoint span's request was for, named as that service's sidecar would be
 * (`<canonical service>.<namespace>`), from the first of:
 * 1. `istio.destination_canonical_service` (else `istio.destination_app`) and `istio.destination_namespace`;
 * 2. the `inbound-vip|…|<host>` (or `outbound|…|<host>`) cluster's host;
 * 3. `localEndpoint.serviceName` when it is a service host (per-service span naming, istio/istio#57024);
 * 4. the span name `<host>:<port>/<path>` Envoy gives inbound spans, when the host is a service host.
 * Undefined when none says.
 */
export function destinationServiceOf(span: Span): string | undefined {
  const peer = peerServiceOf(span, 'destination');
  if (peer !== undefined) return peer;
  const cluster = serviceOfCluster(upstreamClusterOf(span));
  if (cluster !== undefined) return cluster;
  const serviceName = span.localEndpoint?.serviceName;
  if (serviceName !== undefined && serviceName.includes('.svc.')) return serviceOfHost(serviceName);
  const name = span.name;
  if (name !== undefined) {
    const colon = name.indexOf(':');
    const host = colon > 0 ? name.slice(0, colon) : '';
    if (host.includes('.svc.')) return serviceOfHost(host);
  }
  return undefined;
}

/** The caller of a waypoint span's request (`istio.source_canonical_service`.`istio.source_namespace`), if known. */
export function sourceServiceOf(span: Span): string | undefined {
  return peerServiceOf(span, 'source');
}

/**
 * The waypoint itself, `<name>.<namespace>`: the workload in `node_id`, else `localEndpoint.serviceName`
 * when that is not a service host, else `istio.canonical_service`.`istio.namespace` (its own pod's labels).
 */
export function waypointNameOf(span: Span): string | undefined {
  const fromNode = span.tags['node_id']?.startsWith('waypoint~') === true ? workloadOfNodeId(span.tags['node_id']) : undefined;
  if (fromNode !== undefined) return fromNode;
  const serviceName = span.localEndpoint?.serviceName;
  if (serviceName !== undefined && serviceName.length > 0 && !serviceName.includes('.svc.')) return serviceName;
  const canonical = peerValue(span.tags['istio.canonical_service']);
  if (canonical === undefined) return undefined;
  const namespace = peerValue(span.tags['istio.namespace']);
  return namespace === undefined ? canonical : `${canonical}.${namespace}`;
}

/**
 * True when a waypoint span's request never reached a destination workload: Envoy marks in `response_flags`
 * that it was not forwarded (UF, UH, URX, …: NOT_FORWARDED_RESPONSE_FLAGS; a UT or UC request reached one,
 * and Istio before 1.29 leaves the destination peer tags unset on every span) and no upstream peer is known (`istio.destination_workload` absent or
 * `-`). Such a span stands for the caller's side of the hop only, as a sidecar CLIENT span with no SERVER
 * span below it would.
 */
export function waypointCallFailed(span: Span): boolean {
  if (!failureFlagsOf(span.tags['response_flags']).some((flag) => NOT_FORWARDED_RESPONSE_FLAGS.has(flag))) return false;
  return peerValue(span.tags['istio.destination_workload']) === undefined && peerValue(span.tags['istio.destination_canonical_service']) === undefined;
}

/**
 * The caller to put in front of a root waypoint span (no parent: the caller sent no trace context): its
 * source service when known and not the destination itself. A sidecar would have reported that call as a
 * root CLIENT span of the caller; this keeps the caller on the service map.
 */
export function rootCallerOf(span: Span): string | undefined {
  if (span.parentId !== undefined || !isWaypointSpan(span)) return undefined;
  const source = sourceServiceOf(span);
  return source !== undefined && source !== destinationServiceOf(span) ? source : undefined;
}

/** Tag under which a waypoint span's document names the waypoint (annotation when allowlisted, else metadata `istio`). */
export const WAYPOINT_TAG = 'istio.waypoint';

/**
 * The tags a document carries: the span's own, plus `istio.waypoint` (the waypoint's `<name>.<namespace>`)
 * for a waypoint span that does not have it. The same object for every other span.
 */
export function documentTagsOf(span: Span): Readonly<Record<string, string>> {
  if (span.tags[WAYPOINT_TAG] !== undefined || !isWaypointSpan(span)) return span.tags;
  const waypoint = waypointNameOf(span);
  // the new key first: `{ ...tags, [key]: v }` costs ≈ 1.4 µs on Node 20, this ≈ 0.2 (docs/sizing.md §11); span.tags lacks it
  return waypoint === undefined ? span.tags : { [WAYPOINT_TAG]: waypoint, ...span.tags };
}
