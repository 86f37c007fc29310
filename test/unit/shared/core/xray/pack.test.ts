import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { documentsAsIs, embeddedJsonOf, packDocuments, type PackedDocument } from '../../../../../shared/core/xray/pack.ts';
import type { TranslatedDocument } from '../../../../../shared/core/xray/translate.ts';
import { MAX_DOCUMENT_BYTES } from '../../../../../shared/core/xray/limits.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS, FLAVOURS, type Flavour } from '../../../../../services/simulator/index.ts';
import { NOW_MS, assertValidJson, translate } from './support.ts';

/** The spans of Bookinfo request `index` (0: reviews v1, 1: v2) as `flavour`'s Envoys report them. */
function requestSpans(flavour: Flavour, index: number, seed = 7): Span[] {
  const prng = createPrng(seed);
  let spans: Span[] = [];
  for (let i = 0; i <= index; i += 1) spans = generateRequest(prng, (NOW_MS - 5000) * 1000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour }).spans.map((s) => s.span);
  return spans;
}

type Entity = Record<string, unknown>;

/** Every segment and subsegment a set of documents describes, each as if sent on its own, by id. */
function entitiesOf(jsons: readonly string[]): Map<string, Entity> {
  const out = new Map<string, Entity>();
  const visit = (doc: Entity, traceId: string, parentId: string | undefined): void => {
    const { subsegments, ...own } = doc as Entity & { subsegments?: Entity[] };
    const entity: Entity = parentId === undefined ? own : { ...own, trace_id: traceId, parent_id: parentId, type: 'subsegment' };
    assert.equal(out.has(String(own['id'])), false, `id ${String(own['id'])} described twice`);
    out.set(String(own['id']), entity);
    for (const sub of subsegments ?? []) visit(sub, traceId, String(own['id']));
  };
  for (const json of jsons) {
    const doc = JSON.parse(json) as Entity;
    visit(doc, String(doc['trace_id']), undefined);
  }
  return out;
}

function packed(docs: readonly TranslatedDocument[], maxBytes = MAX_DOCUMENT_BYTES): PackedDocument[] {
  return packDocuments(docs, maxBytes).documents;
}

test('a Bookinfo trace packs to one document per service segment, describing exactly what the unpacked documents do', () => {
  for (const flavour of FLAVOURS) {
    const spans = requestSpans(flavour, 1);
    const { output } = translate(spans);
    const segments = output.documents.filter((d) => !d.subsegment).length;
    const docs = packed(output.documents);
    assert.equal(docs.length, segments, `${flavour}: one document per segment`);
    for (const d of docs) assert.equal(assertValidJson(d.json).type, undefined, `${flavour}: every packed document is a segment`);
    assert.deepEqual(entitiesOf(docs.map((d) => d.json)), entitiesOf(output.documents.map((d) => d.json)), flavour);
    assert.deepEqual(docs.flatMap((d) => d.spanIndices).sort((a, b) => a - b), spans.map((_, i) => i), `${flavour}: every span carried once`);
  }
});

test('Istio 1.7.4, reviews v2: the gateway root holds its remote subsegment, productpage its two calls, reviews its call to ratings', () => {
  const { output } = translate(requestSpans('1.7.4', 1));
  const docs = packed(output.documents).map((d) => JSON.parse(d.json) as { name: string; subsegments?: { name: string; namespace?: string }[] });
  const shape = docs.map((d) => `${d.name}[${(d.subsegments ?? []).map((s) => `${s.name}:${s.namespace ?? 'local'}`).join(',')}]`).sort();
  assert.deepEqual(shape, [
    'details.default[]',
    'istio-ingressgateway[productpage.default:remote]',
    'productpage.default[details.default:remote,reviews.default:remote]',
    'ratings.default[]',
    'reviews.default[ratings.default:remote]',
  ]);
});

test('the same documents in any order (and delivered twice) give byte-identical packed documents', () => {
  const { output } = translate([...requestSpans('modern', 1), ...requestSpans('1.7', 2, 9)]);
  const docs = output.documents;
  const expected = packed(docs);
  const rotated = [...docs.slice(5), ...docs.slice(0, 5)];
  assert.deepEqual(packed([...docs].reverse()).map((d) => d.json), expected.map((d) => d.json));
  assert.deepEqual(packed(rotated).map((d) => d.json), expected.map((d) => d.json));
  const twice = packed([...docs, ...rotated]);
  assert.deepEqual(twice.map((d) => d.json), expected.map((d) => d.json));
  assert.deepEqual(twice.map((d) => d.spanIndices), expected.map((d) => d.spanIndices));
});

test('a document over maxBytes has its largest subsegments split off until every document fits; nothing is lost', () => {
  const { output } = translate(requestSpans('1.7.4', 1));
  const sizes = output.documents.map((d) => Buffer.byteLength(d.json));
  const maxBytes = Math.max(...sizes) + 200; // any one document fits, a segment with two subsegments does not
  const out = packDocuments(output.documents, maxBytes);
  assert.ok(out.split > 0);
  for (const d of out.documents) assert.ok(Buffer.byteLength(d.json) <= maxBytes, `${Buffer.byteLength(d.json)} > ${maxBytes}`);
  assert.ok(out.documents.length > packed(output.documents).length);
  assert.deepEqual(entitiesOf(out.documents.map((d) => d.json)), entitiesOf(output.documents.map((d) => d.json)));
});

test('subsegments whose parents are absent stay independent; a parent_id loop loses no document', () => {
  const { output } = translate(requestSpans('1.7.4', 1));
  const subsegments = output.documents.filter((d) => d.subsegment);
  assert.deepEqual(packed(subsegments).map((d) => d.json).sort(), subsegments.map((d) => d.json).sort());
  const [a, b] = subsegments as [TranslatedDocument, TranslatedDocument];
  const loop: TranslatedDocument[] = [
    { ...a, parentId: b.segmentId, json: a.json.replace(`"parent_id":"${a.parentId ?? ''}"`, `"parent_id":"${b.segmentId}"`) },
    { ...b, traceId: a.traceId, parentId: a.segmentId, json: b.json.replace(`"parent_id":"${b.parentId ?? ''}"`, `"parent_id":"${a.segmentId}"`).replace(b.traceId, a.traceId) },
  ];
  const out = packed(loop);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]?.spanIndices, [a.spanIndex, b.spanIndex].sort((x, y) => x - y));
  assert.equal(entitiesOf(out.map((d) => d.json)).size, 2);
});

test('embeddedJsonOf drops trace_id, parent_id and type, also from a document laid out otherwise', () => {
  const doc: TranslatedDocument = {
    spanIndex: 0, segmentId: '1111111111111111', traceId: '1-5e8a0000-000000000000000000000001', parentId: '2222222222222222', subsegment: true, startMicros: 1,
    json: '{ "type": "subsegment", "name": "x", "id": "1111111111111111", "trace_id": "1-5e8a0000-000000000000000000000001", "parent_id": "2222222222222222", "start_time": 1, "end_time": 2 }',
  };
  assert.deepEqual(JSON.parse(embeddedJsonOf(doc)), { name: 'x', id: '1111111111111111', start_time: 1, end_time: 2 });
  const { output } = translate(requestSpans('1.7.4', 0));
  const sub = output.documents.find((d) => d.subsegment && d.parentId !== undefined) as TranslatedDocument;
  const expected = JSON.parse(sub.json) as Record<string, unknown>;
  delete expected['trace_id'];
  delete expected['parent_id'];
  delete expected['type'];
  assert.deepEqual(JSON.parse(embeddedJsonOf(sub)), expected);
});

test('documentsAsIs keeps one document per translated document (PACKING=off)', () => {
  const { output } = translate(requestSpans('1.7.4', 1));
  const docs = documentsAsIs(output.documents);
  assert.deepEqual(docs.map((d) => d.json), output.documents.map((d) => d.json));
  assert.deepEqual(docs.map((d) => d.spanIndices), output.documents.map((d) => [d.spanIndex]));
});

test('a subsegment split off keeps the subsegments nested in it (a local span with a CLIENT call under a SERVER span)', () => {
  const start = (NOW_MS - 5000) * 1000;
  const trace = '5f000000aaaaaaaabbbbbbbbcccccccc';
  const big = { 'http.url': `http://reviews:9080/reviews/0?${'q'.repeat(2000)}` };
  const spans: Span[] = [
    { traceId: trace, id: '000000000000000a', kind: 'SERVER', name: 'get /', timestampMicros: start, durationMicros: 9000, localEndpoint: { serviceName: 'productpage' }, annotations: [], tags: { 'http.method': 'GET', 'http.status_code': '200' } },
    { traceId: trace, id: '000000000000000b', parentId: '000000000000000a', name: 'render', timestampMicros: start + 100, durationMicros: 8000, localEndpoint: { serviceName: 'productpage' }, annotations: [], tags: big },
    { traceId: trace, id: '000000000000000c', parentId: '000000000000000b', kind: 'CLIENT', name: 'get /reviews', timestampMicros: start + 200, durationMicros: 7000, localEndpoint: { serviceName: 'productpage' }, remoteEndpoint: { serviceName: 'reviews' }, annotations: [], tags: { ...big, 'http.method': 'GET', 'http.status_code': '200' } },
  ];
  const { output } = translate(spans);
  assert.equal(output.documents.length, 3);
  const whole = packed(output.documents);
  assert.equal(whole.length, 1, 'one document: the segment, its local subsegment, the call nested in that');
  const maxBytes = Buffer.byteLength(whole[0]?.json ?? '') - 1; // the local subsegment (with its call) must go
  const out = packDocuments(output.documents, maxBytes);
  assert.equal(out.split, 1);
  assert.deepEqual(entitiesOf(out.documents.map((d) => d.json)), entitiesOf(output.documents.map((d) => d.json)), 'nothing lost');
  assert.deepEqual(out.documents.flatMap((d) => d.spanIndices).sort(), [0, 1, 2]);
});
