/** xray-local's OTLP span → segment mapping, case by case; every document must pass the segment validator. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { segmentsOfSpan, xrayTraceIdOf } from '../../../../../services/xray-local/otlp/span-to-segment.ts';
import type { JsonSpan } from '../../../../../services/xray-local/otlp/decode-export-request.ts';
import { validateSegmentDocument } from '../../../../../shared/core/xray/validate.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';

const TRACE = '65e1c3f0a1b2c3d4e5f60718293a4b5c';
const resource = { 'service.name': 'reviews.default' };

function otlpSpan(fields: Partial<JsonSpan> = {}): JsonSpan {
  return { traceId: TRACE, spanId: '1111111111111111', name: 'get /reviews', kind: 2, startTimeUnixNano: '1709294390000000000', endTimeUnixNano: '1709294390250000000', ...fields };
}

const int = (key: string, v: number) => ({ key, value: { intValue: String(v) } });
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });

function convert(span: JsonSpan) {
  const out = segmentsOfSpan(span, resource);
  for (const doc of out.documents) {
    const valid = validateSegmentDocument(JSON.parse(JSON.stringify(doc)));
    assert.ok(valid.ok, valid.ok ? '' : formatIssues(valid.issues));
  }
  return out;
}

describe('segmentsOfSpan', () => {
  it('maps the W3C trace id to the X-Ray form', () => {
    assert.equal(xrayTraceIdOf(TRACE), '1-65e1c3f0-a1b2c3d4e5f60718293a4b5c');
  });

  it('cuts a long url (70 KB) and a long annotation (2,000 characters) to the schema\'s 250 and 1,000: the span is stored, not refused', () => {
    const url = `http://reviews:9080/reviews?q=${'x'.repeat(70_000)}`;
    const { documents } = convert(otlpSpan({ attributes: [str('url.full', url), str('node_id', 'n'.repeat(2000)), { key: 'aws.xray.annotations', value: { arrayValue: { values: [{ stringValue: 'node_id' }] } } }] }));
    const doc = documents[0]!;
    assert.equal(doc.http?.request?.url, url.slice(0, 250));
    assert.equal(doc.annotations?.['node_id'], 'n'.repeat(1000));
  });

  it('keeps the first 50 of more listed annotations (the document limit): the span is stored, not refused', () => {
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    const { documents } = convert(otlpSpan({ attributes: [...keys.map((k) => str(k, 'v')), { key: 'aws.xray.annotations', value: { arrayValue: { values: keys.map((k) => ({ stringValue: k })) } } }] }));
    assert.deepEqual(Object.keys(documents[0]!.annotations ?? {}), keys.slice(0, 50));
  });

  it('makes a SERVER span a segment named by service.name, with the HTTP block', () => {
    const { documents } = convert(otlpSpan({ parentSpanId: '2222222222222222', attributes: [str('http.request.method', 'GET'), str('url.full', 'http://reviews:9080/reviews/0'), int('http.response.status_code', 200), str('client.address', '10.0.0.12')] }));
    assert.equal(documents.length, 1);
    const doc = documents[0]!;
    assert.deepEqual([doc.name, doc.id, doc.parent_id, doc.type, doc.trace_id], ['reviews.default', '1111111111111111', '2222222222222222', undefined, '1-65e1c3f0-a1b2c3d4e5f60718293a4b5c']);
    assert.deepEqual(doc.http, { request: { method: 'GET', url: 'http://reviews:9080/reviews/0', client_ip: '10.0.0.12' }, response: { status: 200 } });
    assert.equal(doc.start_time, 1709294390);
    assert.equal(doc.end_time, 1709294390.25);
  });

  it('makes a CLIENT span a remote subsegment named aws.remote.service, then peer.service, then server.address', () => {
    const named = (attributes: NonNullable<JsonSpan['attributes']>) => convert(otlpSpan({ kind: 3, parentSpanId: '2222222222222222', attributes })).documents[0];
    assert.equal(named([str('aws.remote.service', 'ratings.default'), str('peer.service', 'x'), str('server.address', 'y')])?.name, 'ratings.default');
    assert.equal(named([str('peer.service', 'ratings.default'), str('server.address', 'y')])?.name, 'ratings.default');
    assert.equal(named([str('server.address', 'ratings')])?.name, 'ratings');
    const doc = named([str('aws.remote.service', 'ratings.default')]);
    assert.deepEqual([doc?.type, doc?.namespace, doc?.parent_id], ['subsegment', 'remote', '2222222222222222']);
  });

  it('gives a root CLIENT span a segment of its own service with the call under it', () => {
    const { documents } = convert(otlpSpan({ kind: 3, attributes: [str('aws.remote.service', 'productpage.default')] }));
    assert.equal(documents.length, 2);
    assert.equal(documents[0]?.name, 'reviews.default');
    assert.equal(documents[1]?.parent_id, documents[0]?.id);
    assert.equal(documents[1]?.id, '1111111111111111');
  });

  it('indexes the attributes listed in aws.xray.annotations as annotations (scalars only, X-Ray key charset); the rest stay metadata', () => {
    const listed = { key: 'aws.xray.annotations', value: { arrayValue: { values: [{ stringValue: 'response_flags' }, { stringValue: 'istio.canonical_service' }, { stringValue: 'missing' }, { stringValue: 'list' }] } } };
    const list = { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }] } } };
    const doc = convert(otlpSpan({ attributes: [str('response_flags', 'UF'), str('istio.canonical_service', 'reviews'), str('zone', 'z1'), list, listed] })).documents[0];
    assert.deepEqual(doc?.annotations, { response_flags: 'UF', 'istio.canonical_service': 'reviews' });
    const plain = convert(otlpSpan({ attributes: [str('response_flags', 'UF')] })).documents[0];
    assert.equal(plain?.annotations, undefined, 'without aws.xray.annotations every attribute is metadata');
  });

  it('makes an INTERNAL child a local subsegment named by the span', () => {
    const doc = convert(otlpSpan({ kind: 1, parentSpanId: '2222222222222222', name: 'render page' })).documents[0];
    assert.deepEqual([doc?.name, doc?.type, doc?.namespace], ['render page', 'subsegment', undefined]);
  });

  const flags: [string, Partial<JsonSpan>, Record<string, unknown>][] = [
    ['5xx → fault', { attributes: [int('http.response.status_code', 503)], status: { code: 2, message: 'UF: upstream connection failure' } }, { fault: true }],
    ['429 → error + throttle', { attributes: [int('http.response.status_code', 429)] }, { error: true, throttle: true }],
    ['404 → error', { attributes: [int('http.response.status_code', 404)] }, { error: true }],
    ['ERROR status without HTTP error → fault', { status: { code: 2, message: 'gRPC 14' } }, { fault: true }],
    ['legacy http.status_code read too', { attributes: [str('http.status_code', '502')] }, { fault: true }],
    ['OK → no flag', { attributes: [int('http.response.status_code', 200)] }, {}],
  ];
  for (const [name, fields, expected] of flags) {
    it(name, () => {
      const doc = convert(otlpSpan(fields)).documents[0] as unknown as Record<string, unknown>;
      assert.deepEqual({ error: doc['error'], throttle: doc['throttle'], fault: doc['fault'] }, { error: undefined, throttle: undefined, fault: undefined, ...expected });
      if (fields.status?.message !== undefined) assert.equal((doc['cause'] as { exceptions: { message: string }[] }).exceptions[0]?.message, fields.status.message);
    });
  }

  it('sanitises names X-Ray would refuse', () => {
    const doc = segmentsOfSpan(otlpSpan(), { 'service.name': 'bad<name>' }).documents[0];
    assert.equal(doc?.name, 'bad_name_');
  });
});
