import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { deriveIdByHash, sharedServerRole } from '../../../../../shared/core/xray/ids.ts';
import { packDocuments } from '../../../../../shared/core/xray/pack.ts';
import { MAX_DOCUMENT_BYTES } from '../../../../../shared/core/xray/limits.ts';
import { DEFAULT_ANNOTATION_ALLOWLIST } from '../../../../../shared/core/xray/config.ts';
import { NOW_MS, START_MICROS, only, span, translate } from './support.ts';

const START_HEX = Math.floor(START_MICROS / 1e6).toString(16);
const ISTIO_TAGS = {
  component: 'proxy',
  node_id: 'sidecar~10.0.0.12~productpage-v1-6c668694dc-6x2xd.default~default.svc.cluster.local',
  'http.method': 'GET',
  'http.url': 'http://details:9080/details/0',
  'http.status_code': '200',
  response_flags: '-',
};

// ---- shape -------------------------------------------------------------------------------------

test('SERVER span → segment named after the local service, parented by its Zipkin parent, with metadata.zipkin', () => {
  const { docs } = translate([span({ parentId: '2222222222222222', tags: { ...ISTIO_TAGS, 'peer.address': '10.0.0.7:40000' } })]);
  const doc = only(docs);
  assert.equal(doc.name, 'productpage.default');
  assert.equal(doc.id, '1111111111111111');
  assert.equal(doc.parent_id, '2222222222222222');
  assert.equal(doc.type, undefined);
  assert.equal(doc.origin, undefined);
  assert.equal(doc.http?.request?.client_ip, '10.0.0.7');
  assert.deepEqual(doc.metadata?.['zipkin'], {
    traceId: '65e1c3f0a1b2c3d4e5f60718293a4b5c',
    id: '1111111111111111',
    parentId: '2222222222222222',
    kind: 'SERVER',
    name: 'get /',
    localEndpoint: { serviceName: 'productpage.default', ipv4: '10.0.0.12', port: 0 },
  });
  assert.equal(doc.start_time, START_MICROS / 1e6);
  assert.equal(doc.end_time, (START_MICROS + 1500) / 1e6);
});

test('CLIENT span with a parent → independent remote subsegment named after the called service', () => {
  const { docs } = translate([
    span({ kind: 'CLIENT', id: '3333333333333333', parentId: '1111111111111111', tags: { ...ISTIO_TAGS, upstream_cluster: 'outbound|9080||details.default.svc.cluster.local', 'peer.address': '10.0.1.21:9080' } }),
  ]);
  const doc = only(docs);
  assert.deepEqual([doc.name, doc.id, doc.parent_id, doc.type, doc.namespace], ['details.default', '3333333333333333', '1111111111111111', 'subsegment', 'remote']);
  assert.equal(doc.http?.request?.client_ip, undefined, 'peer.address of a CLIENT span is the callee, not a client ip');
});

test('root CLIENT span (gateway) → workload segment (derived id) + remote subsegment with the span id', () => {
  const gateway = span({
    kind: 'CLIENT',
    id: 'f6604fffcf8ffe2a',
    localEndpoint: { serviceName: 'istio-ingressgateway' },
    tags: { upstream_cluster: 'outbound|9080||productpage.default.svc.cluster.local', 'http.status_code': '503', response_flags: 'UF' },
  });
  const { output, docs } = translate([gateway]);
  assert.equal(docs.length, 2);
  const [segment, remote] = docs as [(typeof docs)[0], (typeof docs)[0]];
  assert.deepEqual([segment.name, segment.id, segment.parent_id, segment.type], ['istio-ingressgateway', deriveIdByHash('f6604fffcf8ffe2a', 'local'), undefined, undefined]);
  assert.deepEqual([remote.name, remote.id, remote.parent_id, remote.namespace], ['productpage.default', 'f6604fffcf8ffe2a', segment.id, 'remote']);
  assert.equal(segment.fault, true);
  assert.equal(remote.fault, true);
  assert.notEqual(segment.cause?.exceptions[0]?.id, remote.cause?.exceptions[0]?.id);
  assert.deepEqual(output.documents.map((d) => [d.spanIndex, d.segmentId]), [[0, segment.id], [0, 'f6604fffcf8ffe2a']]);
});

test('PRODUCER maps like CLIENT, CONSUMER like SERVER; no kind: segment if root, else plain subsegment', () => {
  const { docs } = translate([
    span({ kind: 'PRODUCER', id: '4444444444444444', parentId: '1111111111111111', remoteEndpoint: { serviceName: 'kafka' } }),
    span({ kind: 'CONSUMER', id: '5555555555555555', parentId: '4444444444444444', localEndpoint: { serviceName: 'worker' } }),
    (({ kind: _k, ...rest }) => rest)(span({ id: '6666666666666666', name: 'async work', parentId: '5555555555555555' })),
    (({ kind: _k, ...rest }) => rest)(span({ id: '7777777777777777', localEndpoint: { serviceName: 'cron' } })),
  ]);
  assert.deepEqual(
    docs.map((d) => [d.name, d.id, d.parent_id, d.type, d.namespace]),
    [
      ['kafka', '4444444444444444', '1111111111111111', 'subsegment', 'remote'],
      ['worker', '5555555555555555', '4444444444444444', undefined, undefined],
      ['async work', '6666666666666666', '5555555555555555', 'subsegment', undefined],
      ['cron', '7777777777777777', undefined, undefined, undefined],
    ],
  );
});

test('service name fallbacks: istio canonical service, node_id workload, unknown; names sanitised', () => {
  const noName = { localEndpoint: { ipv4: '10.0.0.1' } };
  const { docs } = translate([
    span({ ...noName, id: 'a000000000000001', tags: { 'istio.canonical_service': 'sleep', 'istio.namespace': 'default' } }),
    span({ ...noName, id: 'a000000000000002', tags: { node_id: 'sidecar~10.0.0.12~reviews-v2-664994896d-6plc5.default~default.svc.cluster.local' } }),
    span({ ...noName, id: 'a000000000000003' }),
    span({ id: 'a000000000000004', localEndpoint: { serviceName: 'my<service>|x' } }),
  ]);
  assert.deepEqual(docs.map((d) => d.name), ['sleep.default', 'reviews-v2.default', 'unknown', 'my_service__x']);
});

// ---- kind repair ------------------------------------------------------------------------------

test('Istio ≤ 1.7.3: every sidecar span CLIENT, repaired from upstream_cluster', () => {
  const inbound = span({ kind: 'CLIENT', id: 'b000000000000001', parentId: 'b000000000000000', tags: { ...ISTIO_TAGS, upstream_cluster: 'inbound|9080|http|details.default.svc.cluster.local' }, localEndpoint: { serviceName: 'details.default' } });
  const outbound = span({ kind: 'CLIENT', id: 'b000000000000000', parentId: 'a000000000000000', tags: { ...ISTIO_TAGS, upstream_cluster: 'outbound|9080||details.default.svc.cluster.local' } });
  const { output, docs } = translate([outbound, inbound]);
  assert.equal(output.stats.kindRepaired, 1);
  const [client, server] = docs as [(typeof docs)[0], (typeof docs)[0]];
  assert.deepEqual([client.name, client.type, client.namespace], ['details.default', 'subsegment', 'remote']);
  assert.deepEqual([server.name, server.type, server.parent_id], ['details.default', undefined, 'b000000000000000']);
  assert.deepEqual(server.metadata?.['meshray'], { kindRepaired: { from: 'CLIENT', to: 'SERVER' } });
  assert.equal((server.metadata?.['zipkin'] as { kind: string }).kind, 'CLIENT', 'metadata.zipkin shows the span as Zipkin sent it');
});

// ---- trace ids and epochs -----------------------------------------------------------------------

test('64-bit and mixed 64/128-bit ids of one trace → one X-Ray trace id, in a batch and across batches', () => {
  const epochs = new MemoryEpochStore();
  const a = span({ traceId: '7180c278b62e8f6a216a2aea45d08fc9', id: 'c000000000000001' });
  const b = span({ traceId: '216a2aea45d08fc9', id: 'c000000000000002', parentId: 'c000000000000001', timestampMicros: START_MICROS + 5_000_000 });
  const first = translate([a, b], { epochs });
  const later = translate([span({ traceId: '216a2aea45d08fc9', id: 'c000000000000003', parentId: 'c000000000000002' })], { epochs, nowMs: NOW_MS + 30_000 });
  const ids = [...first.output.documents, ...later.output.documents].map((d) => d.traceId);
  assert.deepEqual(new Set(ids), new Set([`1-${START_HEX}-b62e8f6a216a2aea45d08fc9`]));
  assert.deepEqual([...first.docs, ...later.docs].map((d) => d.trace_id), ids);
  assert.equal(first.output.stats.epochRewrites, 1);
  assert.equal(later.output.stats.epochRewrites, 0);
});

test('epoch policies', () => {
  const inWindowHex = Math.floor(NOW_MS / 1000 - 3600).toString(16);
  const inWindow = `${inWindowHex}a1b2c3d4e5f60718293a4b5c`;
  const cases: [ 'auto' | 'rewrite' | 'preserve', string, string, number][] = [
    ['auto', inWindow, `1-${inWindowHex}-a1b2c3d4e5f60718293a4b5c`, 0],
    ['auto', 'eacd2e2b8a2daf31f6604fffcf8ffe2a', `1-${START_HEX}-8a2daf31f6604fffcf8ffe2a`, 1],
    ['auto', 'f6604fffcf8ffe2a', `1-${START_HEX}-00000000f6604fffcf8ffe2a`, 1],
    ['rewrite', inWindow, `1-${START_HEX}-a1b2c3d4e5f60718293a4b5c`, 1],
    ['preserve', inWindow, `1-${inWindowHex}-a1b2c3d4e5f60718293a4b5c`, 0],
  ];
  for (const [epochPolicy, traceId, expected, rewrites] of cases) {
    const { output, docs } = translate([span({ traceId })], { config: { epochPolicy } });
    assert.equal(only(docs).trace_id, expected, `${epochPolicy} ${traceId}`);
    assert.equal(output.stats.epochRewrites, rewrites, `${epochPolicy} ${traceId} rewrites`);
  }
});

test('preserve refuses a span whose trace-id epoch X-Ray would refuse, with a reason', () => {
  for (const traceId of ['eacd2e2b8a2daf31f6604fffcf8ffe2a', 'f6604fffcf8ffe2a']) {
    const { output, docs } = translate([span({ traceId })], { config: { epochPolicy: 'preserve' } });
    assert.equal(docs.length, 0, traceId);
    assert.deepEqual(output.rejected.map((r) => [r.spanIndex, r.reason, r.issues[0]?.path]), [[0, 'epoch_out_of_window', 'spans[0].traceId']], traceId);
  }
});

test('auto and rewrite date every document of a trace that started outside the window inside it, consistently', () => {
  const old = START_MICROS - 40 * 86_400 * 1e6;
  const spans = [
    span({ traceId: 'eacd2e2b8a2daf31f6604fffcf8ffe2a', id: 'c000000000000001', timestampMicros: NOW_MS * 1000 + 3_600e6 }),
    span({ traceId: 'f6604fffcf8ffe2a', id: 'c000000000000002', parentId: 'c000000000000001', timestampMicros: NOW_MS * 1000 + 3_601e6 }),
  ];
  for (const epochPolicy of ['auto', 'rewrite'] as const) {
    const { docs } = translate(spans, { config: { epochPolicy } });
    const ahead = Math.floor(NOW_MS / 1000).toString(16); // the current minute (NOW is on a minute)
    assert.deepEqual(docs.map((d) => d.trace_id), [`1-${ahead}-8a2daf31f6604fffcf8ffe2a`, `1-${ahead}-8a2daf31f6604fffcf8ffe2a`], epochPolicy);
  }
  const { docs } = translate([span({ traceId: 'f6604fffcf8ffe2a', timestampMicros: old })]);
  const firstMidnight = Math.ceil((NOW_MS / 1000 - 28 * 86_400) / 86_400) * 86_400;
  assert.equal(only(docs).trace_id, `1-${firstMidnight.toString(16)}-00000000f6604fffcf8ffe2a`, 'a replayed 40-day-old span: the window\'s first midnight');
});

test('auto window edges: 28 days back and 5 minutes ahead are kept, one second beyond is rewritten', () => {
  const nowS = NOW_MS / 1000;
  const cases: [number, boolean][] = [
    [nowS - 28 * 86_400, true],
    [nowS - 28 * 86_400 - 1, false],
    [nowS + 300, true],
    [nowS + 301, false],
  ];
  for (const [seconds, kept] of cases) {
    const hex = seconds.toString(16);
    // the span starts when its trace did (the id's epoch): only the window decides
    const { docs } = translate([span({ traceId: `${hex}a1b2c3d4e5f60718293a4b5c`, timestampMicros: seconds * 1e6 + 250_000 })]);
    const epoch = Number.parseInt(only(docs).trace_id.slice(2, 10), 16);
    assert.equal(only(docs).trace_id.slice(10), '-a1b2c3d4e5f60718293a4b5c');
    if (kept) assert.equal(epoch, seconds, String(seconds - nowS));
    else assert.ok(epoch !== seconds && epoch >= nowS - 28 * 86_400 && epoch <= nowS + 300, `${seconds - nowS}: rewritten into the window`);
  }
});

test('auto keeps an epoch only where the span\'s trace can have started: an hour before the span to 5 minutes after it', () => {
  const startS = START_MICROS / 1e6;
  const cases: [number, boolean][] = [
    [startS, true],
    [startS - 3600, true],
    [startS - 3601, false],
    [startS + 300, true],
    [startS + 301, false],
    // a random id whose first 8 hex digits read as a day inside the 28-day window: it misdated its trace before
    [startS - 6 * 86_400, false],
  ];
  for (const [seconds, kept] of cases) {
    const hex = Math.floor(seconds).toString(16);
    const { docs } = translate([span({ traceId: `${hex}a1b2c3d4e5f60718293a4b5c` })]);
    assert.equal(only(docs).trace_id, `1-${kept ? hex : START_HEX}-a1b2c3d4e5f60718293a4b5c`, String(seconds - startS));
  }
});

test('a rewrite uses the start second of the first span seen for the trace', () => {
  const early = span({ traceId: 'f6604fffcf8ffe2a', id: 'd000000000000002', timestampMicros: START_MICROS - 7_000_000 });
  const first = span({ traceId: 'f6604fffcf8ffe2a', id: 'd000000000000001' });
  const { docs } = translate([first, early]);
  assert.deepEqual(docs.map((d) => d.trace_id), [`1-${START_HEX}-00000000f6604fffcf8ffe2a`, `1-${START_HEX}-00000000f6604fffcf8ffe2a`]);
});

test('sliding TTL: after ttlMs without a span the trace gets a fresh id; within it the id is kept', () => {
  const epochs = new MemoryEpochStore({ ttlMs: 60_000 });
  const one = (id: string, offsetMs: number): string =>
    only(translate([span({ traceId: 'f6604fffcf8ffe2a', id, timestampMicros: START_MICROS + offsetMs * 1000 })], { epochs, nowMs: NOW_MS + offsetMs }).docs).trace_id;
  const firstId = one('e000000000000001', 0);
  assert.equal(one('e000000000000002', 59_000), firstId); // TTL slides to 119 s
  assert.equal(one('e000000000000003', 118_000), firstId); // still alive, slides to 178 s
  const fresh = one('e000000000000004', 178_000 + 2_000);
  assert.notEqual(fresh, firstId);
  assert.equal(fresh, `1-${Math.floor(START_MICROS / 1e6 + 180).toString(16)}-00000000f6604fffcf8ffe2a`);
});

// ---- shared span ids ---------------------------------------------------------------------------

/** openzipkin zipkin-lens testdata/skew.json, in the span model. */
function skewTrace(): Span[] {
  const base = { traceId: '1e223ff1f80f1c69', annotations: [], tags: {} };
  return [
    { ...base, parentId: '74280ae0c10d8062', id: '43210ae0c10d1234', name: 'async', timestampMicros: 1470150004008762, durationMicros: 65000, localEndpoint: { serviceName: 'serviceb', ipv4: '192.0.0.0' } },
    { ...base, parentId: 'bf396325699c84bf', id: '74280ae0c10d8062', kind: 'SERVER', name: 'post', timestampMicros: 1470150004008761, durationMicros: 93577, localEndpoint: { serviceName: 'serviceb', ipv4: '192.0.0.0' }, shared: true },
    { ...base, id: 'bf396325699c84bf', kind: 'SERVER', name: 'get', timestampMicros: 1470150004071068, durationMicros: 99411, localEndpoint: { serviceName: 'servicea', ipv4: '127.0.0.0' } },
    { ...base, parentId: 'bf396325699c84bf', id: '74280ae0c10d8062', kind: 'CLIENT', name: 'post', timestampMicros: 1470150004074202, durationMicros: 94539, localEndpoint: { serviceName: 'servicea', ipv4: '127.0.0.0' } },
  ];
}

test('shared span id: SERVER gets a derived id parented by the CLIENT; same-service children re-linked', () => {
  const derived = deriveIdByHash('74280ae0c10d8062', sharedServerRole('serviceb'));
  const { docs } = translate(skewTrace(), { nowMs: Date.UTC(2016, 7, 3) });
  assert.deepEqual(
    docs.map((d) => [d.name, d.id, d.parent_id ?? null, d.type ?? null]),
    [
      ['async', '43210ae0c10d1234', derived, 'subsegment'],
      ['serviceb', derived, '74280ae0c10d8062', null],
      ['servicea', 'bf396325699c84bf', null, null],
      ['serviceb', '74280ae0c10d8062', 'bf396325699c84bf', 'subsegment'],
    ],
  );
  assert.equal(new Set(docs.map((d) => d.id)).size, 4, 'no two documents share an id');
});

test('shared span ids are deterministic and follow the injected deriveId', () => {
  const a = translate(skewTrace(), { nowMs: Date.UTC(2016, 7, 3) });
  const b = translate(skewTrace(), { nowMs: Date.UTC(2016, 7, 3) });
  assert.deepEqual(a.output.documents.map((d) => d.json), b.output.documents.map((d) => d.json));
  const custom = translate(skewTrace(), { nowMs: Date.UTC(2016, 7, 3), deriveId: (id, role) => (role === 'server:serviceb' ? 'abcdefabcdefabcd' : deriveIdByHash(id, role)) });
  assert.equal(custom.docs[1]?.id, 'abcdefabcdefabcd');
  assert.equal(custom.docs[0]?.parent_id, 'abcdefabcdefabcd');
});

test('one span id carried by two SERVER spans (Envoy shared_span_context and a joining app behind the sidecar): each gets its own segment id, none is lost to packing (found by review: X-Ray kept one)', () => {
  const base = { traceId: '463ac35c9f6413ad', annotations: [], tags: {} };
  const spans: Span[] = [
    { ...base, id: '00000000000000a1', kind: 'SERVER', name: 'get', timestampMicros: 1748779500000000, durationMicros: 9000, localEndpoint: { serviceName: 'front' } },
    { ...base, id: '00000000000000b2', parentId: '00000000000000a1', kind: 'CLIENT', name: 'get', timestampMicros: 1748779500001000, durationMicros: 6000, localEndpoint: { serviceName: 'front' } },
    { ...base, id: '00000000000000b2', parentId: '00000000000000a1', kind: 'SERVER', name: 'get', timestampMicros: 1748779500001500, durationMicros: 5000, localEndpoint: { serviceName: 'back.default' }, shared: true },
    { ...base, id: '00000000000000b2', parentId: '00000000000000a1', kind: 'SERVER', name: 'get', timestampMicros: 1748779500002000, durationMicros: 4000, localEndpoint: { serviceName: 'back' }, shared: true, tags: { 'http.status_code': '500' } },
  ];
  const { docs } = translate(spans, { nowMs: Date.UTC(2025, 5, 1, 12, 5) });
  assert.equal(docs.length, 4);
  assert.equal(new Set(docs.map((d) => d.id)).size, 4, 'no two documents share an id');
  const servers = docs.filter((d) => d.type === undefined && d.parent_id !== undefined);
  assert.deepEqual(servers.map((d) => [d.name, d.parent_id]), [['back.default', '00000000000000b2'], ['back', '00000000000000b2']], 'both segments, parented by the caller\'s CLIENT subsegment');
  const packed = packDocuments(translate(spans, { nowMs: Date.UTC(2025, 5, 1, 12, 5) }).output.documents, MAX_DOCUMENT_BYTES);
  // each failing document's exception id is its own (X-Ray: unique in a trace; found by review)
  const failing = spans.map((x) => ({ ...x, tags: { 'http.status_code': '500', error: 'boom' } }));
  const causes = translate(failing, { nowMs: Date.UTC(2025, 5, 1, 12, 5) }).docs.map((d) => d.cause?.exceptions?.[0]?.id);
  assert.equal(new Set(causes).size, 4, `exception ids: ${causes.join(', ')}`);
  const ids = packed.documents.flatMap((d) => d.segmentIds);
  for (const server of servers) assert.ok(ids.includes(server.id), `segment ${server.name} (${server.id}) survives packing (packed: ${ids.join(', ')})`);
});

test('a shared flag on a root SERVER span (no parent, no CLIENT twin) keeps the span id', () => {
  const { docs } = translate([span({ traceId: '978883983d506fa5', id: '978883983d506fa5', shared: true })]);
  assert.equal(only(docs).id, '978883983d506fa5');
  assert.equal(only(docs).parent_id, undefined);
});

test('a SERVER with the same id as a CLIENT in the batch is treated as shared even without the flag', () => {
  const client = span({ kind: 'CLIENT', id: 'f000000000000001', parentId: 'f000000000000000', localEndpoint: { serviceName: 'a' } });
  const server = span({ kind: 'SERVER', id: 'f000000000000001', parentId: 'f000000000000000', localEndpoint: { serviceName: 'b' } });
  const { docs } = translate([client, server]);
  assert.deepEqual(docs.map((d) => [d.id, d.parent_id]), [['f000000000000001', 'f000000000000000'], [deriveIdByHash('f000000000000001', sharedServerRole('b')), 'f000000000000001']]);
});

test('a deriveId that breaks its contract rejects the span instead of emitting a bad document', () => {
  const { output } = translate(skewTrace(), { nowMs: Date.UTC(2016, 7, 3), deriveId: (id) => id });
  assert.deepEqual(output.rejected.map((r) => [r.spanIndex, r.reason]), [[1, 'invalid_derived_id']]);
});

// ---- http and flags ----------------------------------------------------------------------------

test('string status codes become integers with the right flags', () => {
  const cases: [string, Record<string, boolean>][] = [
    ['503', { fault: true }],
    ['429', { error: true, throttle: true }],
    ['404', { error: true }],
    ['200', {}],
  ];
  for (const [status, expected] of cases) {
    const doc = only(translate([span({ tags: { 'http.status_code': status } })]).docs);
    assert.equal(doc.http?.response?.status, Number(status));
    assert.deepEqual({ ...(doc.error ? { error: true } : {}), ...(doc.throttle ? { throttle: true } : {}), ...(doc.fault ? { fault: true } : {}) }, expected, status);
  }
});

test('failure response_flags with status 0 → fault with a described cause, no status 0', () => {
  const doc = only(translate([span({ tags: { 'http.status_code': '0', response_flags: 'UF,URX' } })]).docs);
  assert.equal(doc.fault, true);
  assert.equal(doc.http, undefined);
  assert.equal(doc.cause?.exceptions.length, 1);
  assert.equal(doc.cause?.exceptions[0]?.message, 'UF: upstream connection failure; URX: upstream retry limit exceeded');
  assert.match(doc.cause?.exceptions[0]?.id ?? '', /^[0-9a-f]{16}$/);
});

test('a 300-character URL is cut to 250 in http, kept whole in metadata', () => {
  const url = `http://details:9080/${'p'.repeat(280)}`;
  const doc = only(translate([span({ tags: { 'http.url': url } })]).docs);
  assert.equal(doc.http?.request?.url, url.slice(0, 250));
  assert.equal(doc.metadata?.['http']?.['http.url'], url);
});

// ---- annotations, metadata and size ------------------------------------------------------------

test('80 tags: allowlisted ones annotate (≤ 50), everything else lands in metadata namespaces', () => {
  const tags: Record<string, string> = {};
  for (let i = 0; i < 80; i += 1) tags[`istio.tag_${String(i).padStart(2, '0')}`] = `v${i}`;
  const allowlist = Object.keys(tags);
  const doc = only(translate([span({ tags })], { config: { annotationAllowlist: allowlist } }).docs);
  assert.equal(Object.keys(doc.annotations ?? {}).length, 50);
  assert.equal(Object.keys(doc.metadata?.['istio'] ?? {}).length, 30);

  const byDefault = only(translate([span({ tags: { ...tags, 'guid:x-request-id': 'r1', zone: 'z' } })]).docs);
  assert.deepEqual(byDefault.annotations, { guid_x_request_id: 'r1', zone: 'z' });
  assert.equal(Object.keys(byDefault.metadata?.['istio'] ?? {}).length, 80);
});

test('default allowlist covers the Istio tags', () => {
  assert.ok(DEFAULT_ANNOTATION_ALLOWLIST.includes('istio.canonical_service'));
  const doc = only(translate([span({ tags: { 'istio.canonical_service': 'productpage', 'istio.mesh_id': 'cluster.local', 'guid:x-request-id': 'abc', 'http.status_code': '200' } })]).docs);
  assert.deepEqual(doc.annotations, { 'istio.canonical_service': 'productpage', 'istio.mesh_id': 'cluster.local', guid_x_request_id: 'abc' });
});

test('70 KB of tags: the document stays ≤ 64 KB, largest metadata dropped first and the cut marked', () => {
  const tags: Record<string, string> = { 'guid:x-request-id': 'keep-me', small: 'kept' };
  for (let i = 0; i < 70; i += 1) tags[`istio.tag_${i}`] = 'x'.repeat(1000 + i);
  const { output, docs } = translate([span({ tags })]);
  const json = only(output.documents).json;
  assert.ok(Buffer.byteLength(json) <= 64 * 1024);
  const doc = only(docs);
  const meshray = doc.metadata?.['meshray'] as { truncated: boolean; droppedMetadataKeys: number };
  assert.equal(meshray.truncated, true);
  assert.ok(meshray.droppedMetadataKeys >= 6 && meshray.droppedMetadataKeys < 70, String(meshray.droppedMetadataKeys));
  assert.equal(doc.metadata?.['default']?.['small'], 'kept');
  assert.ok(doc.metadata?.['zipkin'] !== undefined);
  assert.equal(doc.metadata?.['istio']?.['istio.tag_69'], undefined, 'the largest goes first');
  assert.equal(doc.metadata?.['istio']?.['istio.tag_0'], 'x'.repeat(1000), 'the smallest stays');
  assert.deepEqual(doc.annotations, { guid_x_request_id: 'keep-me' });
  assert.equal(output.stats.metadataTrimmed, 1);
});

test('when metadata is not enough, annotations are dropped; when nothing is enough, the span is rejected', () => {
  const tags: Record<string, string> = {};
  for (let i = 0; i < 50; i += 1) tags[`a${i}`] = 'y'.repeat(250);
  const config = { annotationAllowlist: Object.keys(tags), maxDocumentBytes: 4000 };
  const { output, docs } = translate([span({ tags })], { config });
  const doc = only(docs);
  assert.ok(Buffer.byteLength(only(output.documents).json) <= 4000);
  const meshray = doc.metadata?.['meshray'] as { droppedAnnotations: number };
  assert.ok(meshray.droppedAnnotations > 0);

  const tiny = translate([span({ tags })], { config: { ...config, maxDocumentBytes: 200 } });
  assert.deepEqual(tiny.output.documents, []);
  assert.deepEqual(tiny.output.rejected.map((r) => [r.spanIndex, r.reason]), [[0, 'too_large']]);
});

// ---- time and ids ------------------------------------------------------------------------------

test('no timestamp: start from the earliest annotation, end at the latest; none at all → rejected', () => {
  const annotations = [{ timestampMicros: START_MICROS + 2000, value: 'ss' }, { timestampMicros: START_MICROS, value: 'sr' }];
  const noTime = (({ timestampMicros: _t, durationMicros: _d, ...rest }) => rest)(span({ annotations }));
  const doc = only(translate([noTime]).docs);
  assert.equal(doc.start_time, START_MICROS / 1e6);
  assert.equal(doc.end_time, (START_MICROS + 2000) / 1e6);

  const noDuration = (({ durationMicros: _d, ...rest }) => rest)(span());
  assert.equal(only(translate([noDuration]).docs).end_time, START_MICROS / 1e6);

  const bare = (({ timestampMicros: _t, ...rest }) => rest)(span());
  const { output } = translate([span({ id: '9999999999999999' }), bare]);
  assert.deepEqual(output.rejected, [{ spanIndex: 1, reason: 'no_timestamp', issues: [{ path: 'spans[1].timestamp', message: 'is absent and no annotation has a timestamp: the span cannot be placed in time' }] }]);
  assert.equal(output.documents.length, 1);
});

test('malformed ids are rejected with their path', () => {
  const { output } = translate([span({ traceId: 'XYZ', id: 'short', parentId: 'Z000000000000000' })]);
  assert.deepEqual(only(output.rejected).issues.map((i) => i.path), ['spans[0].traceId', 'spans[0].id', 'spans[0].parentId']);
});

test('deterministic: same spans → byte-identical documents, whatever the tag order', () => {
  const tags = { ...ISTIO_TAGS, 'istio.mesh_id': 'cluster.local', zone: 'a', extra: 'e' };
  const reversed = Object.fromEntries(Object.entries(tags).reverse());
  const a = translate([span({ tags })]).output.documents.map((d) => d.json);
  const b = translate([span({ tags: reversed })]).output.documents.map((d) => d.json);
  assert.deepEqual(a, b);
});
