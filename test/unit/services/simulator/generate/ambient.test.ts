/**
 * The simulator's ambient flavour: the same traffic as `modern`, reported by one waypoint per namespace with
 * the tags a current Istio waypoint sets (istio/istio pilot/pkg/networking/core/tracing.go `buildServiceTags`,
 * `buildWaypointSourceTags`; listener_waypoint.go cluster names), and the service graph xray-local draws from
 * its translation equal to sidecar mode's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrng } from '../../../../../services/simulator/generate/prng.ts';
import { DEFAULT_GENERATE_OPTIONS, generateRequest, type GenerateOptions, type GeneratedRequest } from '../../../../../services/simulator/generate/request.ts';
import { spansPerRequest, type Flavour } from '../../../../../services/simulator/generate/flavour.ts';
import { INTERNAL_CLIENT_ADDRESS } from '../../../../../services/simulator/generate/ambient.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import { buildServiceGraph } from '../../../../../services/xray-local/graph/build-service-graph.ts';
import type { StoredSegment, StoredTrace } from '../../../../../services/xray-local/store/segment-store.ts';

const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);

function many(flavour: Flavour, count: number, over: Partial<GenerateOptions> = {}, seed = 1): GeneratedRequest[] {
  const prng = createPrng(seed);
  return Array.from({ length: count }, (_, i) => generateRequest(prng, NOW_MS * 1000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, ...over }));
}
const spansOf = (r: GeneratedRequest): Span[] => r.spans.map((e) => e.span);
const TROUBLE = { errorRate: 0.2, faultRate: 0.2, faultFlags: ['UF', 'URX', 'UH', 'UO', 'UT', 'DC'] } as const;

/** The tags of a waypoint span: Envoy's HTTP tracing tags, Istio's service tags of the waypoint pod, both peers. */
const PEER_FIELDS = ['workload', 'namespace', 'cluster_id', 'canonical_service', 'canonical_revision', 'app', 'app_version', 'workload_type', 'instance_name'];
const WAYPOINT_TAG_KEYS = [
  'component', 'node_id', 'zone', 'guid:x-request-id', 'http.url', 'http.method', 'downstream_cluster', 'user_agent', 'http.protocol',
  'request_size', 'upstream_cluster', 'upstream_cluster.name', 'http.status_code', 'response_size', 'response_flags', 'peer.address',
  'istio.canonical_service', 'istio.canonical_revision', 'istio.namespace', 'istio.mesh_id', 'istio.cluster_id',
  ...PEER_FIELDS.map((f) => `istio.destination_${f}`), ...PEER_FIELDS.map((f) => `istio.source_${f}`),
].sort();

test('ambient is the same traffic as modern: same traces, requests, routing and injections, same gateway spans', () => {
  const modern = many('modern', 60, TROUBLE, 11);
  const ambient = many('ambient', 60, TROUBLE, 11);
  assert.ok(modern.some((r) => r.injected?.kind === 'fault') && modern.some((r) => r.injected?.kind === 'error'));
  for (const [i, m] of modern.entries()) {
    const a = ambient[i] as GeneratedRequest;
    assert.deepEqual([a.traceId, a.requestId, a.reviews, a.injected, a.startMicros, a.durationMicros], [m.traceId, m.requestId, m.reviews, m.injected, m.startMicros, m.durationMicros]);
    const gateway = (r: GeneratedRequest): Span[] => r.spans.filter((e) => e.workload === 'istio-ingressgateway').map((e) => e.span);
    const [ma, aa] = [gateway(m), gateway(a)];
    assert.deepEqual(aa.map((s) => [s.id, s.parentId, s.kind]), ma.map((s) => [s.id, s.parentId, s.kind]));
  }
});

test('one waypoint span per hop, with the tags a current Istio waypoint sets; no sidecar, no ztunnel span', () => {
  for (const r of many('ambient', 30)) {
    assert.equal(r.spans.length, spansPerRequest('ambient', r.reviews));
    const waypointSpans = r.spans.filter((e) => e.workload === 'waypoint').map((e) => e.span);
    assert.equal(waypointSpans.length, r.reviews === 'v1' ? 3 : 4);
    assert.ok(r.spans.every((e) => e.workload === 'waypoint' || e.workload === 'istio-ingressgateway'));
    assert.ok(!r.spans.some((e) => /^(sidecar|ztunnel)~/.test(e.span.tags['node_id'] ?? '')));
    for (const s of waypointSpans) {
      assert.deepEqual(Object.keys(s.tags).sort(), WAYPOINT_TAG_KEYS);
      assert.equal(s.kind, 'SERVER', 'the waypoint listener (main_internal) is inbound');
      assert.deepEqual(s.localEndpoint, { serviceName: 'waypoint.default', ipv4: '10.0.4.7', port: 0 });
      assert.equal(s.tags['node_id'], 'waypoint~10.0.4.7~waypoint-5f89fbb8b5-nmdsg.default~default.svc.cluster.local');
      assert.equal(s.tags['peer.address'], INTERNAL_CLIENT_ADDRESS);
      assert.equal(s.tags['istio.canonical_service'], 'waypoint');
      const service = s.tags['istio.destination_canonical_service'];
      assert.equal(s.tags['upstream_cluster'], `inbound-vip|9080|http|${service}.default.svc.cluster.local`);
      assert.ok(s.name?.startsWith(`${service}.default.svc.cluster.local:9080/`));
      assert.equal(s.tags['istio.destination_namespace'], 'default');
      assert.match(s.tags['istio.destination_workload'] ?? '', new RegExp(`^${service}-v[123]$`));
    }
    const byService = new Map(waypointSpans.map((s) => [s.tags['istio.destination_canonical_service'], s]));
    const gatewayClient = spansOf(r).find((s) => s.kind === 'CLIENT' && s.localEndpoint?.serviceName === 'istio-ingressgateway.istio-system');
    const callerOf = { productpage: gatewayClient?.id, details: byService.get('productpage')?.id, reviews: byService.get('productpage')?.id, ratings: byService.get('reviews')?.id };
    const sourceOf = { productpage: 'istio-ingressgateway', details: 'productpage', reviews: 'productpage', ratings: 'reviews' };
    for (const [service, s] of byService) {
      const key = service as keyof typeof callerOf;
      assert.equal(s.parentId, callerOf[key], `${service}: parent is the caller's span (the application propagates B3)`);
      assert.equal(s.tags['istio.source_canonical_service'], sourceOf[key]);
      assert.equal(s.tags['istio.source_namespace'], key === 'productpage' ? 'istio-system' : 'default');
    }
  }
});

test('a hop that failed in the proxy: the waypoint span carries the flag and unknown destination peer, nothing below it', () => {
  const seen = new Set<string>();
  for (const r of many('ambient', 80, { faultRate: 1, faultFlags: ['UF', 'URX', 'UH', 'DC'] })) {
    assert.ok(r.injected?.kind === 'fault');
    seen.add(`${r.injected.service}:${r.injected.flag}`);
    const failed = spansOf(r).filter((s) => s.tags['node_id']?.startsWith('waypoint~') === true && s.tags['response_flags'] !== '-');
    assert.equal(failed.length, 1);
    const [s] = failed as [Span];
    const gatewayFlags = spansOf(r).filter((g) => g.tags['node_id']?.startsWith('router~') === true).map((g) => g.tags['response_flags']);
    // The gateway's upstream is the waypoint, which answered (503); only a downstream disconnect is the gateway's own.
    assert.deepEqual(gatewayFlags, r.injected.service === 'productpage' && r.injected.flag === 'DC' ? ['DC', 'DC'] : ['-', '-']);
    assert.equal(s.tags['response_flags'], r.injected.flag);
    assert.equal(s.tags['http.status_code'], String(r.injected.status));
    assert.equal(s.tags['istio.destination_workload'], '-');
    assert.equal(s.tags['upstream_cluster'], `inbound-vip|9080|http|${r.injected.service}.default.svc.cluster.local`);
    assert.ok(!spansOf(r).some((c) => c.parentId === s.id), 'nothing below the failed hop');
    assert.equal(new Set(spansOf(r).map((c) => c.id)).size, r.spans.length, 'span ids stay unique');
  }
  assert.ok([...seen].some((k) => k.startsWith('productpage:')), 'a gateway hop failed too');
});

/** The service graph xray-local draws from the translated documents of `requests`: `name (type): n` nodes and `from -> to: n` edges. */
function serviceMapOf(requests: readonly GeneratedRequest[]): { nodes: string[]; edges: string[] } {
  const traces: StoredTrace[] = [];
  for (const r of requests) {
    const out = translateSpans(spansOf(r), { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: NOW_MS, epochs: new MemoryEpochStore() });
    assert.equal(out.rejected.length, 0);
    const segments = new Map<string, StoredSegment>();
    for (const d of out.documents) {
      const parsed = JSON.parse(d.json) as SegmentDocument;
      segments.set(d.segmentId, { id: d.segmentId, traceId: d.traceId, document: d.json, parsed, receivedAtMs: NOW_MS });
    }
    const traceId = out.documents[0]?.traceId ?? '';
    traces.push({ traceId, traceIdEpochSec: Number.parseInt(traceId.slice(2, 10), 16), firstReceivedMs: NOW_MS, segments });
  }
  const graph = buildServiceGraph(traces, () => true);
  const nameOf = new Map(graph.map((s) => [s.ReferenceId, `${s.Name} (${s.Type})`]));
  return {
    nodes: graph.map((s) => `${s.Name} (${s.Type}): ${s.SummaryStatistics.TotalCount}`).sort(),
    edges: graph.flatMap((s) => s.Edges.map((e) => `${s.Name} -> ${nameOf.get(e.ReferenceId)}: ${e.SummaryStatistics.TotalCount}`)).sort(),
  };
}

test('sidecar (modern) and ambient translate to the same service map: nodes, edges and counts, with errors and faults', () => {
  const options = { errorRate: 0.15, faultRate: 0.15, faultFlags: ['UF', 'URX', 'UH'] } as const;
  const requests = many('modern', 40, options, 1);
  const sidecar = serviceMapOf(requests);
  const ambient = serviceMapOf(many('ambient', 40, options, 1));
  assert.ok(sidecar.nodes.some((n) => n.includes('(remote)')), 'the seed has failed hops (remote nodes)');
  // One difference, by design: a gateway call the waypoint could not deliver is reported twice, by the gateway
  // (its CLIENT span got the waypoint's 503) and by the waypoint (the hop that failed); sidecar mode has the first only.
  const gatewayFailures = requests.filter((r) => r.injected?.kind === 'fault' && r.injected.service === 'productpage').length;
  assert.ok(gatewayFailures > 0, 'the seed fails a gateway hop');
  const twice = (line: string): string => line.replace(/^(productpage\.default \(remote\)|istio-ingressgateway\.istio-system -> productpage\.default \(remote\)): (\d+)$/,
    (_m, key: string, n: string) => `${key}: ${Number(n) * 2}`);
  assert.ok(sidecar.nodes.includes(`productpage.default (remote): ${gatewayFailures}`));
  assert.deepEqual(ambient.nodes, sidecar.nodes.map(twice));
  assert.deepEqual(ambient.edges, sidecar.edges.map(twice));
  assert.ok(!ambient.nodes.some((n) => n.startsWith('waypoint')), ambient.nodes.join(', '));
});

/** The same spans as an older or a per-service-naming Istio would report them. */
function asReleasedBy(requests: readonly GeneratedRequest[], variant: 'before-peer-tags' | 'per-service-naming'): GeneratedRequest[] {
  return requests.map((r) => ({
    ...r,
    spans: r.spans.map((e) => {
      if (e.workload !== 'waypoint') return e;
      const s = e.span;
      if (variant === 'before-peer-tags') {
        // Istio < 1.29 (before istio/istio#58818): no istio.destination_* / istio.source_* tags.
        const tags = Object.fromEntries(Object.entries(s.tags).filter(([k]) => !/^istio\.(destination|source)_/.test(k)));
        return { workload: e.workload, span: { ...s, tags } };
      }
      // Istio 1.27-1.29 with per-service span naming (istio/istio#57024): the service host as serviceName.
      const host = (s.tags['upstream_cluster'] ?? '').split('|')[3] ?? '';
      return { workload: e.workload, span: { ...s, localEndpoint: { ...s.localEndpoint, serviceName: host } } };
    }),
  }));
}

test('waypoints before the peer tags, and those that name spans by service, draw the same map', () => {
  const requests = many('ambient', 30, { errorRate: 0.15, faultRate: 0.15, faultFlags: ['UF', 'UH'] }, 3);
  const current = serviceMapOf(requests);
  assert.ok(current.nodes.some((n) => n.includes('(remote)')));
  for (const variant of ['before-peer-tags', 'per-service-naming'] as const) {
    const variantRequests = asReleasedBy(requests, variant);
    assert.notDeepEqual(variantRequests.map(spansOf), requests.map(spansOf), `${variant} changes the spans`);
    assert.deepEqual(serviceMapOf(variantRequests), current, variant);
  }
});
