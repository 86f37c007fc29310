/**
 * Ambient (waypoint) naming: table tests. Each row's span is what a real Istio waypoint reports; sources:
 * - istio/istio#54901 (Istio 1.24+): serviceName `waypoint.bookinfo`, node_id `waypoint~…`, operation
 *   `details.bookinfo.svc.cluster.local:9080/*`;
 * - istio/istio pilot/pkg/networking/core/listener_waypoint.go: clusters `inbound-vip|<port>|http[/<subset>]|<host>`
 *   (`BuildSubsetKey(TrafficDirectionInboundVIP, …)`, `portToSubset`), `outbound|…` for a service the waypoint
 *   does not serve (`getWaypointDestinationCluster`); the HBONE `main_internal` listener (peer `envoy://internal_client_address/`);
 * - istio/istio#58818 (pilot/pkg/networking/core/tracing.go `buildWaypointSourceTags`): `istio.destination_*`,
 *   `istio.source_*` from the peers' WorkloadMetadataObject, `-` when the peer is unknown;
 * - istio/istio#57024 and kiali/kiali#9608: per-service span naming (`details.bookinfo.svc.cluster.local`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import {
  destinationServiceOf, documentTagsOf, isWaypointSpan, rootCallerOf, serviceOfCluster, sourceServiceOf, waypointCallFailed, waypointNameOf,
} from '../../../../../shared/core/xray/istio-naming.ts';
import { localServiceOf, remoteServiceOf, resolveKind } from '../../../../../shared/core/xray/span-kind.ts';
import { span, translate } from './support.ts';

const WAYPOINT_NODE = 'waypoint~10.244.0.19~waypoint-5f89fbb8b5-nmdsg.bookinfo~bookinfo.svc.cluster.local';

/** Tags an Istio 1.24-1.28 waypoint sets (no peer tags yet). */
const OLD_WAYPOINT_TAGS: Record<string, string> = {
  component: 'proxy', node_id: WAYPOINT_NODE, 'http.method': 'GET', 'http.url': 'http://details:9080/details/0', 'http.status_code': '200',
  upstream_cluster: 'inbound-vip|9080|http|details.bookinfo.svc.cluster.local', 'upstream_cluster.name': 'inbound-vip|9080|http|details.bookinfo.svc.cluster.local',
  'peer.address': 'envoy://internal_client_address/', response_flags: '-',
  'istio.canonical_service': 'waypoint', 'istio.canonical_revision': 'latest', 'istio.namespace': 'bookinfo', 'istio.mesh_id': 'cluster.local',
};

const peers = (side: 'source' | 'destination', service: string, version: string, namespace: string): Record<string, string> => ({
  [`istio.${side}_workload`]: `${service}-${version}`, [`istio.${side}_namespace`]: namespace, [`istio.${side}_cluster_id`]: 'Kubernetes',
  [`istio.${side}_canonical_service`]: service, [`istio.${side}_canonical_revision`]: version, [`istio.${side}_app`]: service,
  [`istio.${side}_app_version`]: version, [`istio.${side}_workload_type`]: 'deployment', [`istio.${side}_instance_name`]: `${service}-${version}-7964b4bb49-zv4n9`,
});
const unknownPeer = (side: 'source' | 'destination'): Record<string, string> =>
  Object.fromEntries(Object.keys(peers(side, 'x', 'v', 'n')).map((k) => [k, '-']));

/** Tags an Istio ≥ 1.29 waypoint sets: the old set plus both peers. */
const NEW_WAYPOINT_TAGS: Record<string, string> = {
  ...OLD_WAYPOINT_TAGS, ...peers('destination', 'details', 'v1', 'bookinfo'), ...peers('source', 'productpage', 'v1', 'bookinfo'),
};

const waypointSpan = (tags: Record<string, string>, over: Partial<Span> = {}): Span =>
  span({ kind: 'SERVER', name: 'details.bookinfo.svc.cluster.local:9080/*', parentId: '2222222222222222', localEndpoint: { serviceName: 'waypoint.bookinfo', ipv4: '10.244.0.19' }, tags, ...over });
/** The same span with no parent: the caller sent no trace context. */
const rootOf = (s: Span): Span => {
  const { parentId: _parentId, ...root } = s;
  return root;
};

test('a waypoint span is named after the destination service, as its sidecar would be', () => {
  const rows: [string, Span, string][] = [
    ['Istio 1.24-1.28 (#54901): inbound-vip cluster host', waypointSpan(OLD_WAYPOINT_TAGS), 'details.bookinfo'],
    ['Istio ≥ 1.29 (#58818): istio.destination_canonical_service + namespace', waypointSpan(NEW_WAYPOINT_TAGS), 'details.bookinfo'],
    ['canonical service differs from the host: the canonical name wins, as in sidecar mode',
      waypointSpan({ ...NEW_WAYPOINT_TAGS, 'istio.destination_canonical_service': 'details-api' }), 'details-api.bookinfo'],
    ['no canonical service: istio.destination_app', waypointSpan({ ...NEW_WAYPOINT_TAGS, 'istio.destination_canonical_service': '-' }), 'details.bookinfo'],
    ['unknown peer (`-`): the cluster host', waypointSpan({ ...OLD_WAYPOINT_TAGS, ...unknownPeer('destination') }), 'details.bookinfo'],
    ['subset cluster (portToSubset `http/v1`)', waypointSpan({ ...OLD_WAYPOINT_TAGS, upstream_cluster: 'inbound-vip|9080|http/v1|reviews.bookinfo.svc.cluster.local' }), 'reviews.bookinfo'],
    ['a service the waypoint does not serve: outbound cluster', waypointSpan({ ...OLD_WAYPOINT_TAGS, upstream_cluster: 'outbound|9080|v1|ratings.bookinfo.svc.cluster.local', 'upstream_cluster.name': 'outbound|9080|v1|ratings.bookinfo.svc.cluster.local' }), 'ratings.bookinfo'],
    ['per-service span naming (#57024, kiali#9608), no cluster tag',
      waypointSpan({ node_id: WAYPOINT_NODE, 'http.status_code': '200' }, { localEndpoint: { serviceName: 'details.bookinfo.svc.cluster.local' } }), 'details.bookinfo'],
    ['only the operation name says', waypointSpan({ node_id: WAYPOINT_NODE }), 'details.bookinfo'],
    ['nothing names the destination: the waypoint itself', waypointSpan({ node_id: WAYPOINT_NODE }, { name: 'ingress' }), 'waypoint.bookinfo'],
  ];
  for (const [why, s, name] of rows) {
    assert.equal(isWaypointSpan(s), true, why);
    assert.equal(localServiceOf(s), name, why);
    assert.deepEqual(resolveKind(s), { kind: 'SERVER', repaired: false }, `${why}: a waypoint listener is inbound, never repaired to CLIENT`);
  }
});

test('old (waypoint.<ns>) and new (per-service) naming give the same names', () => {
  const old = waypointSpan(OLD_WAYPOINT_TAGS);
  const perService = waypointSpan(NEW_WAYPOINT_TAGS, { localEndpoint: { serviceName: 'details.bookinfo.svc.cluster.local' } });
  assert.equal(localServiceOf(old), localServiceOf(perService));
  assert.equal(destinationServiceOf(old), destinationServiceOf(perService));
  assert.equal(waypointNameOf(old), 'waypoint.bookinfo');
  assert.equal(waypointNameOf(perService), 'waypoint.bookinfo', 'from node_id, not the service name');
});

test('sidecar and gateway spans are not waypoint spans; their names are unchanged', () => {
  const sidecar = span({ tags: { node_id: 'sidecar~10.0.0.12~productpage-v1-6c668694dc-6x2xd.default~default.svc.cluster.local', upstream_cluster: 'inbound|9080||' } });
  const gateway = span({ localEndpoint: { serviceName: 'istio-ingressgateway.istio-system' }, tags: { node_id: 'router~10.0.1.19~istio-ingressgateway-75b84dd8bf-72qrp.istio-system~istio-system.svc.cluster.local', upstream_cluster: 'outbound|9080||productpage.default.svc.cluster.local' } });
  assert.equal(isWaypointSpan(sidecar), false);
  assert.equal(isWaypointSpan(gateway), false);
  assert.equal(localServiceOf(sidecar), 'productpage.default');
  assert.equal(localServiceOf(gateway), 'istio-ingressgateway.istio-system');
  assert.equal(documentTagsOf(sidecar), sidecar.tags, 'the same object: nothing added');
});

test('waypoint signals: node_id, an inbound-vip cluster, or the peer tags only waypoints set', () => {
  assert.equal(isWaypointSpan(span({ tags: { node_id: WAYPOINT_NODE } })), true);
  assert.equal(isWaypointSpan(span({ tags: { 'upstream_cluster.name': 'inbound-vip|9080|http|details.bookinfo.svc.cluster.local' } })), true);
  assert.equal(isWaypointSpan(span({ tags: { 'istio.source_canonical_service': 'productpage' } })), true);
  assert.equal(isWaypointSpan(span({ tags: { upstream_cluster: 'inbound|9080|http|details.bookinfo.svc.cluster.local' } })), false);
  // Another proxy type's node_id settles it, whatever custom tags a mesh adds.
  assert.equal(isWaypointSpan(span({ tags: { node_id: 'sidecar~10.0.0.12~productpage-v1-6c668694dc-6x2xd.default~default.svc.cluster.local', 'istio.source_canonical_service': 'x' } })), false);
});

test('cluster names: outbound and inbound-vip carry a host, inbound does not', () => {
  assert.equal(serviceOfCluster('inbound-vip|9080|http|details.bookinfo.svc.cluster.local'), 'details.bookinfo');
  assert.equal(serviceOfCluster('outbound|9080||details.default.svc.cluster.local'), 'details.default');
  assert.equal(serviceOfCluster('inbound|9080||'), undefined);
  assert.equal(serviceOfCluster('inbound-vip|9080|http|'), undefined);
  assert.equal(serviceOfCluster(undefined), undefined);
});

test('the caller side: istio.source_*, when present', () => {
  assert.equal(sourceServiceOf(waypointSpan(NEW_WAYPOINT_TAGS)), 'productpage.bookinfo');
  assert.equal(sourceServiceOf(waypointSpan(OLD_WAYPOINT_TAGS)), undefined);
  assert.equal(sourceServiceOf(waypointSpan({ ...OLD_WAYPOINT_TAGS, ...unknownPeer('source') })), undefined);
  const gatewaySource = { ...NEW_WAYPOINT_TAGS, 'istio.source_canonical_service': 'istio-ingressgateway', 'istio.source_namespace': 'istio-system' };
  assert.equal(sourceServiceOf(waypointSpan(gatewaySource)), 'istio-ingressgateway.istio-system');
  // A root waypoint span (the caller sent no trace context) gets its caller in front; a child span does not.
  const root = rootOf(waypointSpan(NEW_WAYPOINT_TAGS));
  assert.equal(rootCallerOf(root), 'productpage.bookinfo');
  assert.equal(rootCallerOf(waypointSpan(NEW_WAYPOINT_TAGS)), undefined);
  assert.equal(rootCallerOf(rootOf(waypointSpan(OLD_WAYPOINT_TAGS))), undefined, 'no source known');
  assert.equal(rootCallerOf(rootOf(waypointSpan({ ...NEW_WAYPOINT_TAGS, ...peers('source', 'details', 'v1', 'bookinfo') }))), undefined, 'a service calling itself');
});

test('a request that never reached a destination is the caller side of the hop (CLIENT), as a sidecar reports it', () => {
  const rows: [string, Record<string, string>, boolean][] = [
    ['UF, unknown destination peer (#58818 formats it `-`)', { ...NEW_WAYPOINT_TAGS, ...unknownPeer('destination'), response_flags: 'UF', 'http.status_code': '503' }, true],
    ['UH, Istio before the peer tags', { ...OLD_WAYPOINT_TAGS, response_flags: 'UH', 'http.status_code': '503' }, true],
    ['URX,UF', { ...OLD_WAYPOINT_TAGS, response_flags: 'URX,UF', 'http.status_code': '503' }, true],
    ['URX with a known destination: retries exhausted on the upstream\'s own 503s (it had the request)', { ...NEW_WAYPOINT_TAGS, response_flags: 'URX', 'http.status_code': '503' }, false],
    ['DPE: a downstream protocol error, rejected by the waypoint itself', { ...OLD_WAYPOINT_TAGS, response_flags: 'DPE', 'http.status_code': '400' }, true],
    ['UT with a known destination: the destination had the request', { ...NEW_WAYPOINT_TAGS, response_flags: 'UT', 'http.status_code': '504' }, false],
    ['UT, Istio before the peer tags: an upstream had the request (it timed out there)', { ...OLD_WAYPOINT_TAGS, response_flags: 'UT', 'http.status_code': '504' }, false],
    ['UC, Istio before the peer tags: the upstream connection closed mid-request', { ...OLD_WAYPOINT_TAGS, response_flags: 'UC', 'http.status_code': '503' }, false],
    ['DI, a fault-injected delay: not a failure at all', { ...OLD_WAYPOINT_TAGS, response_flags: 'DI', 'http.status_code': '200' }, false],
    ['FI, a fault-injected abort: never forwarded', { ...OLD_WAYPOINT_TAGS, response_flags: 'FI', 'http.status_code': '503' }, true],
    ['a 503 from the application: no response flag', { ...NEW_WAYPOINT_TAGS, 'http.status_code': '503' }, false],
  ];
  for (const [why, tags, failed] of rows) {
    const s = waypointSpan(tags);
    assert.equal(waypointCallFailed(s), failed, why);
    assert.deepEqual(resolveKind(s), failed ? { kind: 'CLIENT', repaired: true } : { kind: 'SERVER', repaired: false }, why);
    assert.equal(remoteServiceOf(s), 'details.bookinfo', `${why}: the called service`);
    if (failed) assert.equal(localServiceOf(s), sourceServiceOf(s) ?? 'waypoint.bookinfo', `${why}: the caller`);
  }
});

test('documents of a waypoint span carry the waypoint as `istio.waypoint` (annotation by default)', () => {
  const tags = documentTagsOf(waypointSpan(NEW_WAYPOINT_TAGS));
  assert.equal(tags['istio.waypoint'], 'waypoint.bookinfo');
  const { docs } = translate([waypointSpan(NEW_WAYPOINT_TAGS)]);
  assert.equal(docs.length, 1);
  const doc = docs[0];
  assert.equal(doc?.name, 'details.bookinfo');
  assert.equal(doc?.annotations?.['istio.waypoint'], 'waypoint.bookinfo');
  assert.equal(doc?.http?.request?.client_ip, undefined, 'envoy://internal_client_address/ is not a client address');
  assert.equal((doc?.metadata?.['zipkin'] as { localEndpoint?: { serviceName?: string } }).localEndpoint?.serviceName, 'waypoint.bookinfo', 'the source span is kept as sent');
});

test('a root waypoint span: the caller (istio.source_*) is a segment in front of the destination', () => {
  const root = rootOf(waypointSpan(NEW_WAYPOINT_TAGS));
  const { docs } = translate([root]);
  assert.deepEqual(docs.map((d) => [d.name, d.parent_id === undefined ? 'root' : d.parent_id === docs[0]?.id ? 'caller' : d.parent_id]), [
    ['productpage.bookinfo', 'root'],
    ['details.bookinfo', 'caller'],
  ]);
  assert.equal(docs[1]?.id, root.id, 'the destination keeps the span id: its calls name it as their parent');
});

test('a failed hop translates as the caller\'s remote subsegment, as the sidecar CLIENT span would', () => {
  const failed = waypointSpan({ ...NEW_WAYPOINT_TAGS, ...unknownPeer('destination'), response_flags: 'UF', 'http.status_code': '503' });
  const { docs } = translate([failed]);
  assert.deepEqual(docs.map((d) => [d.name, d.type, d.namespace, d.parent_id, d.fault]), [['details.bookinfo', 'subsegment', 'remote', '2222222222222222', true]]);
});

test('a root hop that never reached a destination: the caller\'s segment and its remote call, as a sidecar\'s root CLIENT span gives', () => {
  const failed = rootOf(waypointSpan({ ...NEW_WAYPOINT_TAGS, ...unknownPeer('destination'), response_flags: 'UH', 'http.status_code': '503' }));
  const { docs } = translate([failed]);
  assert.deepEqual(docs.map((d) => [d.name, d.type ?? 'segment', d.namespace]), [['productpage.bookinfo', 'segment', undefined], ['details.bookinfo', 'subsegment', 'remote']]);
  assert.equal(docs[1]?.parent_id, docs[0]?.id);
});
