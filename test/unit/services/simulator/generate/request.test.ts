import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrng } from '../../../../../services/simulator/generate/prng.ts';
import { DEFAULT_GENERATE_OPTIONS, generateRequest, type GenerateOptions, type GeneratedRequest } from '../../../../../services/simulator/generate/request.ts';
import { FLAVOURS, REVIEWS_VERSIONS, SIDECAR_FLAVOURS, spansPerRequest, type Flavour } from '../../../../../services/simulator/generate/flavour.ts';
import { parseLatencyRules } from '../../../../../services/simulator/generate/injections.ts';
import { encodeSpansJsonV2 } from '../../../../../services/simulator/encode/encode-json-v2.ts';
import { decodeSpans } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';

const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);
const NOW_MICROS = NOW_MS * 1000;
const opts = (over: Partial<GenerateOptions> = {}): GenerateOptions => ({ ...DEFAULT_GENERATE_OPTIONS, ...over });

function many(flavour: Flavour, count: number, over: Partial<GenerateOptions> = {}, seed = 1): GeneratedRequest[] {
  const prng = createPrng(seed);
  return Array.from({ length: count }, (_, i) => generateRequest(prng, NOW_MICROS, i, opts({ flavour, ...over })));
}

const spansOf = (r: GeneratedRequest): Span[] => r.spans.map((e) => e.span);
const byId = (r: GeneratedRequest): Map<string, Span> => new Map(spansOf(r).map((s) => [s.id, s]));
const cluster = (s: Span): string => s.tags['upstream_cluster'] ?? '';
const isInbound = (s: Span): boolean => cluster(s).startsWith('inbound|');

test('a seed gives the same requests; another seed different ones', () => {
  for (const flavour of FLAVOURS) {
    const a = many(flavour, 30, { errorRate: 0.3, faultRate: 0.2 }, 99);
    const b = many(flavour, 30, { errorRate: 0.3, faultRate: 0.2 }, 99);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.map((r) => r.traceId), many(flavour, 30, {}, 100).map((r) => r.traceId));
  }
});

test('span kinds per flavour: 1.7 all CLIENT; 1.7.4 inbound SERVER, outbound CLIENT; modern adds a gateway SERVER root', () => {
  for (const r of many('1.7', 9)) assert.deepEqual(new Set(spansOf(r).map((s) => s.kind)), new Set(['CLIENT']));
  for (const flavour of ['1.7.4', 'modern'] as const) {
    for (const r of many(flavour, 9)) {
      for (const s of spansOf(r)) {
        if (isInbound(s)) assert.equal(s.kind, 'SERVER');
        else if (s.parentId !== undefined) assert.equal(s.kind, 'CLIENT', `${flavour} ${s.name}`);
      }
      const root = spansOf(r).filter((s) => s.parentId === undefined);
      assert.equal(root.length, 1);
      assert.equal(root[0]?.kind, flavour === 'modern' ? 'SERVER' : 'CLIENT');
      assert.equal(root[0]?.localEndpoint?.serviceName, flavour === 'modern' ? 'istio-ingressgateway.istio-system' : 'istio-ingressgateway');
    }
  }
});

test('span counts match spansPerRequest; reviews v1 never calls ratings, v2 and v3 do', () => {
  for (const flavour of FLAVOURS) {
    const requests = many(flavour, 30);
    for (const [i, r] of requests.entries()) {
      assert.equal(r.reviews, REVIEWS_VERSIONS[i % 3], 'round-robin');
      assert.equal(r.spans.length, spansPerRequest(flavour, r.reviews));
      const callsRatings = spansOf(r).some((s) => cluster(s).includes('ratings.default'));
      assert.equal(callsRatings, r.reviews !== 'v1');
      const reviewsWorkloads = new Set(r.spans.filter((e) => e.workload.startsWith('reviews-') || e.span.tags['istio.destination_canonical_service'] === 'reviews')
        .map((e) => e.span.tags['istio.destination_workload'] ?? e.workload));
      assert.deepEqual([...reviewsWorkloads], [`reviews-${r.reviews}`]);
    }
  }
  const weighted = many('1.7.4', 300, { reviews: { kind: 'weighted', weights: { v1: 0, v2: 1, v3: 3 } } });
  assert.ok(weighted.every((r) => r.reviews !== 'v1'));
  const v3 = weighted.filter((r) => r.reviews === 'v3').length;
  assert.ok(v3 > 180 && v3 < 270, `~75% v3, got ${v3}/300`);
});

test('tags are strings with the Envoy/Istio set; node_id, localEndpoint and clusters name the right workload', () => {
  for (const flavour of SIDECAR_FLAVOURS) {
    for (const r of many(flavour, 6)) {
      for (const { workload, span } of r.spans) {
        for (const [k, v] of Object.entries(span.tags)) assert.equal(typeof v, 'string', `${k} must be a string`);
        for (const key of ['http.method', 'http.url', 'http.status_code', 'http.protocol', 'user_agent', 'upstream_cluster', 'node_id', 'guid:x-request-id', 'response_flags', 'request_size', 'response_size', 'downstream_cluster', 'component', 'zone']) {
          assert.ok(key in span.tags, `${flavour}: ${key} missing on ${span.name}`);
        }
        assert.equal(span.tags['component'], 'proxy');
        assert.equal(span.tags['guid:x-request-id'], r.requestId);
        // Envoy's x-request-id is a UUID (36 characters, 8-4-4-4-12); it was 8-4-4-4-16 (a newcomer trial)
        assert.match(r.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(span.localEndpoint?.port, 0);
        assert.match(span.localEndpoint?.ipv4 ?? '', /^10\.\d+\.\d+\.\d+$/);
        const nodeId = span.tags['node_id'] ?? '';
        if (workload === 'istio-ingressgateway') assert.match(nodeId, /^router~10\.[\d.]+~istio-ingressgateway-[a-z0-9]+-[a-z0-9]+\.istio-system~istio-system\.svc\.cluster\.local$/);
        else assert.match(nodeId, new RegExp(`^sidecar~${span.localEndpoint?.ipv4?.replaceAll('.', '\\.')}~${workload}-[a-z0-9]+-[a-z0-9]{5}\\.default~default\\.svc\\.cluster\\.local$`));
        if (isInbound(span)) {
          assert.ok(span.tags['peer.address'] !== undefined, 'peer.address on server spans');
          assert.equal(cluster(span), flavour === 'modern' ? 'inbound|9080||' : `inbound|9080|http|${workload.replace(/-v\d$/, '')}.default.svc.cluster.local`);
        } else {
          assert.match(cluster(span), /^outbound\|9080\|\|[a-z]+\.default\.svc\.cluster\.local$/);
        }
        if (workload !== 'istio-ingressgateway') assert.equal(span.localEndpoint?.serviceName, `${workload.replace(/-v\d$/, '')}.default`);
        const istio = ['istio.canonical_service', 'istio.canonical_revision', 'istio.namespace', 'istio.mesh_id'];
        if (flavour === 'modern') {
          for (const key of istio) assert.ok(key in span.tags, `${key} missing`);
          assert.equal(span.annotations.length, 1);
          assert.equal(span.annotations[0]?.value, span.kind === 'SERVER' ? 'ss' : 'cr');
          assert.ok((span.annotations[0]?.timestampMicros ?? 0) >= (span.timestampMicros ?? 0) + (span.durationMicros ?? 0));
        } else {
          for (const key of istio) assert.ok(!(key in span.tags), `${key} only in modern`);
          assert.deepEqual(span.annotations, []);
        }
      }
    }
  }
});

test('trace ids are 128-bit (low half = root span id) or 64-bit with --id-bits 64; span ids 64-bit and unique', () => {
  for (const idBits of [128, 64] as const) {
    for (const r of many('1.7.4', 20, { idBits })) {
      assert.match(r.traceId, idBits === 128 ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{16}$/);
      const root = spansOf(r).find((s) => s.parentId === undefined);
      assert.equal(r.traceId.slice(-16), root?.id);
      const ids = spansOf(r).map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const s of spansOf(r)) {
        assert.equal(s.traceId, r.traceId);
        assert.match(s.id, /^[0-9a-f]{16}$/);
      }
    }
  }
});

test('parent links and timings: every SERVER (inbound) span is the child of its CLIENT span and nested inside it', () => {
  for (const flavour of FLAVOURS) {
    for (const r of many(flavour, 12, { errorRate: 0.3, faultRate: 0.3 })) {
      const spans = byId(r);
      for (const s of spansOf(r)) {
        assert.ok(Number.isInteger(s.timestampMicros) && Number.isInteger(s.durationMicros) && (s.durationMicros ?? 0) > 0);
        assert.ok((s.timestampMicros ?? 0) + (s.durationMicros ?? 0) <= NOW_MICROS, 'no span ends in the future');
        if (s.parentId === undefined) continue;
        const parent = spans.get(s.parentId);
        assert.ok(parent !== undefined, `parent of ${s.name} is in the request`);
        assert.ok((s.timestampMicros ?? 0) >= (parent.timestampMicros ?? 0), `${s.name} starts inside its parent`);
        assert.ok((s.timestampMicros ?? 0) + (s.durationMicros ?? 0) <= (parent.timestampMicros ?? 0) + (parent.durationMicros ?? 0), `${s.name} ends inside its parent`);
        if (isInbound(s)) {
          assert.ok(!isInbound(parent), 'an inbound span hangs off the outbound CLIENT span');
          assert.equal(cluster(parent), `outbound|9080||${s.name?.split(':')[0]}`);
          assert.equal(parent.name, s.name);
        }
      }
      const ends = r.spans.map((e) => (e.span.timestampMicros ?? 0) + (e.span.durationMicros ?? 0));
      assert.deepEqual(ends, [...ends].sort((a, b) => a - b), 'spans come in the order Envoy finishes them');
    }
  }
});

test('injected app errors: ratings 503 → reviews 200 degraded; details 500 → productpage 200', () => {
  const requests = many('1.7.4', 60, { errorRate: 1 });
  const services = new Set<string>();
  for (const r of requests) {
    assert.equal(r.injected?.kind, 'error');
    const failed = spansOf(r).filter((s) => s.tags['http.status_code'] !== '200');
    assert.equal(failed.length, 2, 'the failing CLIENT and SERVER spans');
    const service = r.injected?.service ?? '';
    services.add(service);
    for (const s of failed) {
      assert.equal(s.tags['http.status_code'], service === 'ratings' ? '503' : '500');
      assert.equal(s.tags['error'], 'true');
      assert.equal(s.tags['response_flags'], '-');
      assert.ok(s.name?.startsWith(`${service}.default`));
    }
    if (service === 'ratings') assert.notEqual(r.reviews, 'v1');
    assert.equal(r.spans.length, spansPerRequest('1.7.4', r.reviews));
  }
  assert.deepEqual([...services].sort(), ['details', 'ratings']);
});

test('injected Envoy faults: failure flag and status on the CLIENT span, no SERVER span below it', () => {
  const requests = many('1.7.4', 80, { faultRate: 1, faultFlags: ['UF', 'URX', 'UH', 'DC'] });
  const seen = new Set<string>();
  for (const r of requests) {
    assert.equal(r.injected?.kind, 'fault');
    if (r.injected?.kind !== 'fault') continue;
    seen.add(r.injected.flag);
    const flagged = spansOf(r).filter((s) => s.tags['response_flags'] !== '-');
    const target = `outbound|9080||${r.injected.service}.default.svc.cluster.local`;
    const client = flagged.find((s) => s.kind === 'CLIENT' && cluster(s) === target);
    assert.ok(client !== undefined, `a CLIENT span calling ${r.injected.service} carries the flag`);
    assert.equal(client.tags['response_flags'], r.injected.flag);
    assert.equal(client.tags['http.status_code'], r.injected.flag === 'DC' ? '0' : '503');
    assert.equal(client.tags['error'], 'true');
    assert.ok(!spansOf(r).some((s) => s.parentId === client.id), 'nothing below the failed hop');
    assert.ok(!spansOf(r).some((s) => cluster(s) === `inbound|9080|http|${r.injected?.service}.default.svc.cluster.local`), 'no SERVER span for the failed hop');
    assert.ok(r.spans.length < spansPerRequest('1.7.4', r.reviews));
  }
  assert.deepEqual([...seen].sort(), ['DC', 'UF', 'UH', 'URX']);
});

test('--latency slows the chosen service', () => {
  const rules = parseLatencyRules('ratings=+50ms');
  assert.ok(rules.ok);
  const ratingsServer = (r: GeneratedRequest): number =>
    spansOf(r).find((s) => cluster(s).startsWith('inbound|') && s.name?.startsWith('ratings'))?.durationMicros ?? 0;
  const slow = many('1.7.4', 9, { latency: rules.value }).filter((r) => r.reviews !== 'v1');
  for (const r of slow) assert.ok(ratingsServer(r) >= 50_000, `ratings took ${ratingsServer(r)} µs`);
  const times3 = parseLatencyRules('reviews=x3,details=*2');
  assert.ok(times3.ok);
  assert.deepEqual(times3.value.map((r) => [r.service, r.multiplier, r.extraMs]), [['reviews', 3, 0], ['details', 2, 0]]);
  assert.equal(parseLatencyRules('nosuch=x2').ok, false);
  assert.equal(parseLatencyRules('ratings=50').ok, false);
});

test('every generated request encodes to a v2 JSON body that shared/core/zipkin decodes back to the same spans', () => {
  for (const flavour of FLAVOURS) {
    for (const r of many(flavour, 12, { errorRate: 0.3, faultRate: 0.3 })) {
      const decoded = decodeSpans(encodeSpansJsonV2(spansOf(r)), 'json-v2');
      assert.ok(decoded.ok, decoded.ok ? '' : formatIssues(decoded.issues));
      assert.equal(decoded.value.length, r.spans.length);
      for (const [i, s] of decoded.value.entries()) {
        const original = r.spans[i]?.span;
        assert.equal(s.id, original?.id);
        assert.deepEqual(s.tags, original?.tags);
        assert.equal(s.kind, original?.kind);
      }
    }
  }
});

function translatedNames(r: GeneratedRequest): { names: Set<string>; rejected: number; docs: Record<string, unknown>[] } {
  const out = translateSpans(spansOf(r), { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: NOW_MS, epochs: new MemoryEpochStore() });
  const docs = out.documents.map((d) => JSON.parse(d.json) as Record<string, unknown>);
  return { names: new Set(docs.map((d) => String(d['name']))), rejected: out.rejected.length, docs };
}

test('translation sanity (1.7.4): a whole request names the gateway and the four Bookinfo services', () => {
  const [, v2] = many('1.7.4', 2);
  assert.ok(v2 !== undefined && v2.reviews === 'v2');
  const { names, rejected, docs } = translatedNames(v2);
  assert.equal(rejected, 0);
  for (const name of ['istio-ingressgateway', 'productpage.default', 'details.default', 'reviews.default', 'ratings.default']) {
    assert.ok(names.has(name), `X-Ray names ${name}; got ${[...names].join(', ')}`);
  }
  const segments = docs.filter((d) => d['type'] !== 'subsegment');
  assert.deepEqual(new Set(segments.map((d) => d['name'])), new Set(['istio-ingressgateway', 'productpage.default', 'details.default', 'reviews.default', 'ratings.default']));
});

test('translation sanity (1.7 and modern): kinds are repaired / understood and the same services appear', () => {
  for (const flavour of ['1.7', 'modern'] as const) {
    const [, v3] = many(flavour, 2, {}, 5);
    assert.ok(v3 !== undefined);
    const { names, rejected } = translatedNames(v3);
    assert.equal(rejected, 0);
    for (const name of ['productpage.default', 'details.default', 'reviews.default', 'ratings.default']) assert.ok(names.has(name), `${flavour}: ${name} in ${[...names].join(', ')}`);
  }
});

test('translation shape is the same in every flavour: one remote call per hop, no duplicate call from the gateway', () => {
  const shape = (r: GeneratedRequest): string[] => {
    const { docs } = translatedNames(r);
    const names = new Map(docs.map((d) => [String(d['id']), String(d['name'])]));
    return docs
      .filter((d) => d['namespace'] === 'remote')
      .map((d) => `${names.get(String(d['parent_id'])) ?? '?'} -> ${String(d['name'])}`)
      .map((edge) => edge.replace(/^istio-ingressgateway(\.istio-system)?/, 'gateway'))
      .sort();
  };
  const expected = ['gateway -> productpage.default', 'productpage.default -> details.default', 'productpage.default -> reviews.default', 'reviews.default -> ratings.default'];
  for (const flavour of SIDECAR_FLAVOURS) {
    const [, v2] = many(flavour, 2);
    assert.ok(v2 !== undefined && v2.reviews === 'v2');
    assert.deepEqual(shape(v2), expected, flavour);
  }
});
