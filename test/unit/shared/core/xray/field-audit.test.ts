/**
 * Audit of every X-Ray field the translator fills, against the X-Ray segment document reference
 * (test/fixtures/xray/segment-document-schema-v1.0.0.json and the developer guide's "Segment documents"):
 * for each field, a value X-Ray would refuse (or that would mean something else than the field says) is
 * repaired or left out, and the document stays valid (support.translate validates every document).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { START_MICROS, span, translate } from './support.ts';

const long = (n: number): string => 'x'.repeat(n);

type Row = readonly [field: string, what: string, input: Parameters<typeof span>[0] | Span, check: (doc: SegmentDocument) => void];

/** The test span without `key` (exactOptionalPropertyTypes: an override cannot set a field to undefined). */
const spanWithout = (key: 'localEndpoint' | 'durationMicros', overrides: Parameters<typeof span>[0] = {}): Span => {
  const { [key]: _dropped, ...rest } = span(overrides);
  return rest as Span;
};

const rows: readonly Row[] = [
  // name: "up to 200 characters ... Unicode letters, numbers, whitespace, and _ . : / % & # = + \ - @"
  ['name', 'characters outside X-Ray\'s set are replaced', { localEndpoint: { serviceName: 'my svc/<bad>#!' } }, (d) => assert.equal(d.name, 'my svc/_bad_#_')],
  ['name', 'longer than 200 characters is cut', { localEndpoint: { serviceName: 'a'.repeat(300) } }, (d) => assert.equal(d.name, 'a'.repeat(200))],
  ['name', 'absent (no service) is "unknown", never empty', spanWithout('localEndpoint'), (d) => assert.equal(d.name, 'unknown')],
  // http.request.*: strings of at most 250 characters
  ['http.request.method', 'longer than 250 characters is cut', { tags: { 'http.method': long(300) } }, (d) => assert.equal(d.http?.request?.method, long(250))],
  ['http.request.url', 'longer than 250 characters is cut', { tags: { 'http.url': `http://a/${long(300)}` } }, (d) => assert.equal(d.http?.request?.url?.length, 250)],
  ['http.request.user_agent', 'longer than 250 characters is cut', { tags: { user_agent: long(300) } }, (d) => assert.equal(d.http?.request?.user_agent, long(250))],
  // http.request.client_ip: "the IP address of the requester"
  ['http.request.client_ip', 'an Envoy internal address (ambient waypoint) is left out', { tags: { 'peer.address': 'envoy://internal_client_address/' } }, (d) => assert.equal(d.http, undefined)],
  ['http.request.client_ip', 'a host name is left out', { tags: { 'peer.address': 'productpage.default:9080', 'http.method': 'GET' } }, (d) => assert.deepEqual(d.http, { request: { method: 'GET' } })],
  ['http.request.client_ip', 'an IPv4 address loses its port', { tags: { 'peer.address': '10.244.1.1:51234' } }, (d) => assert.equal(d.http?.request?.client_ip, '10.244.1.1')],
  ['http.request.client_ip', 'a bracketed IPv6 address loses brackets and port', { tags: { 'peer.address': '[2001:DB8::1]:8080' } }, (d) => assert.equal(d.http?.request?.client_ip, '2001:db8::1')],
  // http.response.status / content_length: numbers
  ['http.response.status', 'a value that is not an integer is left out', { tags: { 'http.status_code': '2xx' } }, (d) => assert.equal(d.http, undefined)],
  ['http.response.status', 'zero (no response) is left out', { tags: { 'http.status_code': '0' } }, (d) => assert.equal(d.http, undefined)],
  ['http.response.content_length', 'a negative size is left out', { tags: { response_size: '-5' } }, (d) => assert.equal(d.http, undefined)],
  // annotations: keys [A-Za-z0-9_.]{1,500}, values string|number|boolean, at most 50
  ['annotations', 'a key with characters outside the set is repaired', { tags: { 'guid:x-request-id': 'abc' } }, (d) => assert.equal(d.annotations?.['guid_x_request_id'], 'abc')],
  ['annotations', 'a long value is cut to 1,000 characters (the schema\'s annotation maxLength)', { tags: { 'guid:x-request-id': long(1200) } }, (d) => {
    assert.equal(d.annotations?.['guid_x_request_id'], long(1000));
    assert.equal(d.metadata?.['default']?.['guid:x-request-id'], long(1200), 'the whole value stays in metadata');
  }],
  ['annotations', 'the whole value kept beside a cut one is the first thing dropped to fit 64 KB, before a tag found nowhere else (found by review)', { tags: { 'guid:x-request-id': long(3000), 'my.big.tag': 'y'.repeat(62_000) } }, (d) => {
    assert.equal(d.annotations?.['guid_x_request_id'], long(1000));
    assert.equal(d.metadata?.['default']?.['my.big.tag'], 'y'.repeat(62_000));
    assert.equal(d.metadata?.['default']?.['guid:x-request-id'], undefined);
    assert.deepEqual(d.metadata?.['meshray']?.['droppedMetadata'], ['default.guid:x-request-id']);
  }],
  ['annotations', 'the whole value kept beside a cut one stays when dropping it would not make the document fit: the largest value goes', { tags: { 'guid:x-request-id': long(1200), 'my.big.tag': 'y'.repeat(70_000) } }, (d) => {
    assert.equal(d.metadata?.['default']?.['guid:x-request-id'], long(1200));
    assert.equal(d.metadata?.['default']?.['my.big.tag'], undefined);
    assert.deepEqual(d.metadata?.['meshray']?.['droppedMetadata'], ['default.my.big.tag']);
  }],
  // cause: exceptions with a 16-hex id and a message
  ['cause', 'a long error message is cut to 250 characters', { tags: { error: long(300), 'http.status_code': '500' } }, (d) => {
    const exception = d.cause?.exceptions[0];
    assert.match(exception?.id ?? '', /^[0-9a-f]{16}$/);
    assert.equal(exception?.message?.length, 250);
  }],
  ['cause', 'a gRPC failure in an HTTP 200 is a fault naming the gRPC status and message', { tags: { 'http.status_code': '200', 'grpc.status_code': '14', 'grpc.message': 'no healthy upstream' } }, (d) => {
    assert.equal(d.fault, true);
    assert.equal(d.cause?.exceptions[0]?.message, 'grpc 14 UNAVAILABLE: no healthy upstream');
  }],
  ['cause', 'gRPC OK is no failure', { tags: { 'http.status_code': '200', 'grpc.status_code': '0' } }, (d) => assert.equal(d.fault ?? d.cause, undefined)],
  // start_time / end_time: end_time >= start_time
  ['end_time', 'a span without duration ends at its latest annotation, never before it starts', spanWithout('durationMicros', { annotations: [{ timestampMicros: START_MICROS - 5, value: 'x' }] }), (d) => assert.equal(d.end_time, d.start_time)],
  // aws: the translator has no AWS resource facts; it never fills the aws block
  ['aws', 'is never filled, even from aws-looking tags', { tags: { 'aws.account_id': '123456789012', 'aws.region': 'eu-west-1' } }, (d) => assert.equal(d.aws, undefined)],
];

for (const [field, what, input, check] of rows) {
  test(`${field}: ${what}`, () => {
    const built = input !== undefined && 'traceId' in input ? (input as Span) : span(input);
    const { docs } = translate([built]); // every document is validated against the schema
    assert.equal(docs.length, 1);
    check(docs[0] as SegmentDocument);
  });
}

test('annotations: at most 50 per document', () => {
  const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
  const { docs } = translate([span({ tags: Object.fromEntries(keys.map((k) => [k, 'v'])) })], { config: { annotationAllowlist: keys } });
  assert.equal(Object.keys(docs[0]?.annotations ?? {}).length, 50);
});
