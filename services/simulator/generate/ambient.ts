/**
 * Istio ambient mode: the spans the mesh reports for one request, made from the sidecar-mode (`modern`)
 * spans of the same request, so that a seed gives the same traffic in both modes. Pure.
 *
 * What changes (istio/istio pilot/pkg/networking/core/listener_waypoint.go and tracing.go; istio/istio#54901):
 * - no sidecars: a hop's caller CLIENT span and callee SERVER span are replaced by ONE span of the callee
 *   namespace's waypoint: kind SERVER (the waypoint's `main_internal` listener is inbound), `localEndpoint`
 *   `waypoint.<ns>` and `node_id` `waypoint~…`, `upstream_cluster` `inbound-vip|9080|http|<host>`,
 *   `peer.address` `envoy://internal_client_address/`, the waypoint's own `istio.canonical_service` (`waypoint`),
 *   and the upstream / downstream peers as `istio.destination_*` / `istio.source_*` (`-` when unknown);
 * - the span keeps the callee SERVER span's id (the application propagates it, so the callee's own calls
 *   name it as their parent) and its parent is the caller's span: the gateway's CLIENT span, or the
 *   caller's own waypoint span (its id is the caller's SERVER span id);
 * - a hop that failed in the proxy (an injected fault: UF, UH, …) reached no destination: the waypoint span
 *   takes the CLIENT span's id, its failure flag and status, and unknown (`-`) destination peer tags; the
 *   gateway, whose upstream (the waypoint) answered, reports the status with no flag of its own;
 * - ztunnel (layer 4) reports no spans; the gateway reports as in `modern`.
 */
import type { Annotation, Span } from '../../../shared/core/zipkin/span.ts';
import type { EmittedSpan } from './request.ts';
import { GATEWAY, inboundVipClusterOf, waypointOf, workloadNamed, type Waypoint, type Workload } from './topology.ts';

/** Envoy's downstream address on an internal listener (the HBONE-terminated `main_internal`). */
export const INTERNAL_CLIENT_ADDRESS = 'envoy://internal_client_address/';

/** Flags Envoy puts on the proxy that could not reach the upstream (the waypoint, in ambient mode). */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set(['UH', 'UF', 'URX', 'UO', 'UT']);

/** The 9 fields of a peer's WorkloadMetadataObject, as `buildWaypointSourceTags` names them. */
function peerTags(side: 'source' | 'destination', w: Workload | undefined): Record<string, string> {
  const v = (value: string): string => (w === undefined ? '-' : value);
  return {
    [`istio.${side}_workload`]: v(w?.name ?? ''),
    [`istio.${side}_namespace`]: v(w?.namespace ?? ''),
    [`istio.${side}_cluster_id`]: v('Kubernetes'),
    [`istio.${side}_canonical_service`]: v(w?.service ?? ''),
    [`istio.${side}_canonical_revision`]: v(w?.version ?? ''),
    [`istio.${side}_app`]: v(w?.service ?? ''),
    [`istio.${side}_app_version`]: v(w?.version ?? ''),
    [`istio.${side}_workload_type`]: v('deployment'),
    [`istio.${side}_instance_name`]: v(w?.pod ?? ''),
  };
}

/**
 * The waypoint's span for one hop. `server` is the callee's sidecar SERVER span (absent when the hop failed
 * in the proxy), `client` the caller's CLIENT span; the waypoint span sits between the two in time.
 */
function waypointSpan(
  id: string, client: Span, server: Span | undefined, parentId: string | undefined, caller: Workload, callee: Workload | undefined, calleeHost: string, waypoint: Waypoint,
): Span {
  const start = server === undefined ? client.timestampMicros ?? 0 : Math.floor(((client.timestampMicros ?? 0) + (server.timestampMicros ?? 0)) / 2);
  const clientEnd = (client.timestampMicros ?? 0) + (client.durationMicros ?? 0);
  const end = server === undefined ? clientEnd : Math.ceil((clientEnd + (server.timestampMicros ?? 0) + (server.durationMicros ?? 0)) / 2);
  const source = server ?? client;
  const cluster = callee === undefined ? `inbound-vip|9080|http|${calleeHost}` : inboundVipClusterOf(callee);
  const tags: Record<string, string> = {
    component: 'proxy', node_id: waypoint.nodeId, zone: waypoint.zone, 'guid:x-request-id': source.tags['guid:x-request-id'] ?? '',
    'http.url': source.tags['http.url'] ?? '', 'http.method': 'GET', downstream_cluster: '-', user_agent: source.tags['user_agent'] ?? '',
    'http.protocol': 'HTTP/1.1', request_size: '0', upstream_cluster: cluster, 'upstream_cluster.name': cluster,
    'http.status_code': source.tags['http.status_code'] ?? '0', response_size: source.tags['response_size'] ?? '0',
    response_flags: server === undefined ? client.tags['response_flags'] ?? '-' : '-',
    'peer.address': INTERNAL_CLIENT_ADDRESS,
    'istio.canonical_service': waypoint.name, 'istio.canonical_revision': 'latest', 'istio.namespace': waypoint.namespace,
    'istio.mesh_id': 'cluster.local', 'istio.cluster_id': 'Kubernetes',
    ...peerTags('destination', server === undefined ? undefined : callee),
    ...peerTags('source', caller),
  };
  if (source.tags['error'] !== undefined) tags['error'] = source.tags['error'];
  // Envoy's one annotation at finish: the CLIENT span's, which lies after the waypoint span's end.
  const annotations: Annotation[] = client.annotations.map((a) => ({ ...a, value: 'ss' }));
  const span: Span = {
    traceId: client.traceId, id, kind: 'SERVER', name: client.name ?? `${calleeHost}:9080/*`,
    timestampMicros: start, durationMicros: Math.max(1, end - start),
    localEndpoint: { serviceName: `${waypoint.name}.${waypoint.namespace}`, ipv4: waypoint.ipv4, port: 0 }, annotations, tags,
  };
  return parentId === undefined ? span : { ...span, parentId };
}

/** The host a CLIENT span called: `outbound|9080||<host>`. */
const calleeHostOf = (client: Span): string => {
  const cluster = client.tags['upstream_cluster'] ?? '';
  return cluster.slice(cluster.lastIndexOf('|') + 1);
};

/** Ambient-mode spans of one request from its `modern` sidecar-mode spans (in the order the proxies finish them). */
export function toAmbient(sidecarSpans: readonly EmittedSpan[]): EmittedSpan[] {
  const serverOfClient = new Map<string, EmittedSpan>();
  for (const e of sidecarSpans) {
    if (e.span.kind === 'SERVER' && e.workload !== GATEWAY.name && e.span.parentId !== undefined) serverOfClient.set(e.span.parentId, e);
  }
  const out: EmittedSpan[] = [];
  for (const e of sidecarSpans) {
    const span = e.span;
    if (e.workload === GATEWAY.name) {
      // The gateway reports as in sidecar mode; when the hop failed, the waypoint (its upstream) answered.
      const flags = span.tags['response_flags'] ?? '-';
      const answered = UPSTREAM_FAILURES.has(flags);
      out.push(answered ? { workload: e.workload, span: { ...span, tags: { ...span.tags, response_flags: '-' } } } : e);
      continue;
    }
    if (span.kind !== 'CLIENT') continue; // a SERVER span is folded into the waypoint span of its CLIENT span
    // This CLIENT span stands for a sidecar's call; the caller is the sidecar's workload.
    const caller = workloadNamed(e.workload);
    if (caller === undefined) throw new RangeError(`unknown workload ${e.workload}`);
    const server = serverOfClient.get(span.id);
    const callee = server === undefined ? undefined : workloadNamed(server.workload);
    const host = calleeHostOf(span);
    const namespace = host.split('.')[1] ?? 'default';
    out.push({ workload: waypointOf(namespace).name, span: waypointSpan(server?.span.id ?? span.id, span, server?.span, span.parentId, caller, callee, host, waypointOf(namespace)) });
  }
  // The gateway's own call: its CLIENT span stays, and the waypoint reports the hop to productpage under it.
  for (const e of sidecarSpans) {
    if (e.workload !== GATEWAY.name || e.span.kind !== 'CLIENT') continue;
    const server = serverOfClient.get(e.span.id);
    const callee = server === undefined ? undefined : workloadNamed(server.workload);
    const host = calleeHostOf(e.span);
    const waypoint = waypointOf(host.split('.')[1] ?? 'default');
    out.push({ workload: waypoint.name, span: waypointSpan(server?.span.id ?? failedHopIdOf(e.span.id), e.span, server?.span, e.span.id, GATEWAY, callee, host, waypoint) });
  }
  return out;
}

/**
 * An id for the waypoint span of a gateway hop that failed: the gateway's CLIENT span keeps its own id, and
 * no PRNG draw may be added (the traffic must stay that of `modern`), so the id is the CLIENT id's bits flipped.
 */
function failedHopIdOf(clientId: string): string {
  let out = '';
  for (const c of clientId) out += (15 - parseInt(c, 16)).toString(16);
  return out === '0000000000000000' ? '0000000000000001' : out;
}
