import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeProtoV2, decodeProtoV2Batch } from '../../../../../shared/core/zipkin/decode-proto-v2.ts';
import { decodeJsonV2 } from '../../../../../shared/core/zipkin/decode-json-v2.ts';
import type { Issue, Result } from '../../../../../shared/core/result/result.ts';

const protoPath = fileURLToPath(new URL('../../../../../shared/core/zipkin/proto/zipkin.proto', import.meta.url));
const descriptorUrl = new URL('../../../../../shared/core/zipkin/proto/zipkin-descriptor.json', import.meta.url);
const root = protobuf.loadSync(protoPath);
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

function encode(spans: readonly Record<string, unknown>[]): Uint8Array {
  return ListOfSpans.encode(ListOfSpans.fromObject({ spans })).finish();
}

function issuesOf(result: Result<unknown>): readonly Issue[] {
  if (result.ok) assert.fail('expected the body to be refused');
  return result.issues;
}

const TRACE = '4d1e00c0db9010db86154a4ba6e91385';
const ID = '4d1e00c0db9010db';
const base = { traceId: hex(TRACE), id: hex(ID) };

describe('decodeProtoV2', () => {
  it('keeps the embedded descriptor in step with zipkin.proto', () => {
    const embedded: unknown = JSON.parse(readFileSync(descriptorUrl, 'utf8'));
    assert.deepEqual(embedded, JSON.parse(JSON.stringify(root.toJSON())));
  });

  it("round-trips Zipkin's canonical client span to the same model as its JSON form", () => {
    const body = encode([
      {
        traceId: hex(TRACE),
        parentId: hex('86154a4ba6e91385'),
        id: hex(ID),
        kind: 'CLIENT',
        name: 'get',
        timestamp: 1472470996199000,
        duration: 207000,
        localEndpoint: { serviceName: 'frontend', ipv6: hex('20010db800000000000000000000c001') },
        remoteEndpoint: { serviceName: 'backend', ipv4: Uint8Array.from([192, 168, 99, 101]), port: 9000 },
        annotations: [
          { timestamp: 1472470996238000, value: 'foo' },
          { timestamp: 1472470996403000, value: 'bar' },
        ],
        tags: { 'http.path': '/api', 'clnt/finagle.version': '6.45.0' },
      },
    ]);
    const json = readFileSync(new URL('../../../../fixtures/zipkin/zipkin2-canonical-client-span.json', import.meta.url), 'utf8');
    const fromJson = decodeJsonV2(`[${json}]`);
    const fromProto = decodeProtoV2(body);
    assert.ok(fromJson.ok && fromProto.ok);
    assert.deepEqual(fromProto.value[0]?.localEndpoint, { serviceName: 'frontend', ipv6: '2001:db8::c001' });
    assert.deepEqual(fromProto, fromJson);
  });

  it('decodes an empty body and an empty list to no spans', () => {
    assert.deepEqual(decodeProtoV2(new Uint8Array(0)), { ok: true, value: [] });
    assert.deepEqual(decodeProtoV2(encode([])), { ok: true, value: [] });
  });

  it('decodes a minimal span with 64-bit ids', () => {
    assert.deepEqual(decodeProtoV2(encode([{ traceId: hex('00000000000000aa'), id: hex('00000000000000bb') }])), {
      ok: true,
      value: [{ traceId: '00000000000000aa', id: '00000000000000bb', annotations: [], tags: {} }],
    });
  });

  it('maps the kind enum, with SPAN_KIND_UNSPECIFIED as absent', () => {
    const spans = ['SPAN_KIND_UNSPECIFIED', 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'].map((kind) => ({ ...base, kind }));
    const result = decodeProtoV2(encode(spans));
    assert.ok(result.ok);
    assert.deepEqual(result.value.map((s) => s.kind), [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);
    assert.equal('kind' in (result.value[0] ?? {}), false);
  });

  it('converts fixed64/uint64 micros beyond 32 bits exactly', () => {
    const result = decodeProtoV2(encode([{ ...base, timestamp: 1689241786526291, duration: 5_000_000_000 }]));
    assert.ok(result.ok);
    assert.equal(result.value[0]?.timestampMicros, 1689241786526291);
    assert.equal(result.value[0]?.durationMicros, 5_000_000_000);
  });

  it('renders addresses: IPv4 dotted, IPv6 compressed, IPv4-mapped IPv6 as ipv4; port 0 absent', () => {
    const spans = [
      { ...base, localEndpoint: { ipv4: Uint8Array.from([10, 244, 1, 3]), port: 0, serviceName: 'Kourier-Knative' } },
      { ...base, localEndpoint: { ipv6: hex('fe800000000000000000000000000001') } },
      { ...base, localEndpoint: { ipv6: hex('00000000000000000000ffff0a000001') } },
      { ...base, localEndpoint: { ipv6: hex('20010db8000100000000000000000000') } },
      { ...base, localEndpoint: { ipv6: hex('20010db8000000010000000000000001') } },
      { ...base, localEndpoint: { port: 0 } },
    ];
    const result = decodeProtoV2(encode(spans));
    assert.ok(result.ok);
    assert.deepEqual(result.value.map((s) => s.localEndpoint), [
      { serviceName: 'kourier-knative', ipv4: '10.244.1.3' },
      { ipv6: 'fe80::1' },
      { ipv4: '10.0.0.1' },
      { ipv6: '2001:db8:1::' },
      { ipv6: '2001:db8:0:1::1' },
      undefined,
    ]);
  });

  it('applies the shared span rules: lowercase name, parentId == id dropped, shared kept off CLIENT, debug', () => {
    const result = decodeProtoV2(
      encode([
        { ...base, parentId: hex(ID), name: 'GET /Api', kind: 'SERVER', shared: true, debug: true },
        { ...base, kind: 'CLIENT', shared: true, parentId: hex('0000000000000000') },
      ]),
    );
    assert.deepEqual(result, {
      ok: true,
      value: [
        { traceId: TRACE, id: ID, kind: 'SERVER', name: 'get /api', annotations: [], tags: {}, debug: true, shared: true },
        { traceId: TRACE, id: ID, kind: 'CLIENT', annotations: [], tags: {} },
      ],
    });
  });

  it('keeps a tag named __proto__ as an ordinary tag (found by review: it set the prototype and was lost)', () => {
    const tags = Object.create(null) as Record<string, string>;
    tags['__proto__'] = 'kept';
    tags['a'] = 'b';
    const r = decodeProtoV2(encode([{ ...base, tags }]));
    assert.ok(r.ok);
    assert.deepEqual(Object.entries(r.value[0]?.tags ?? {}), [['__proto__', 'kept'], ['a', 'b']]);
    assert.equal(Object.getPrototypeOf(r.value[0]?.tags), Object.prototype);
  });

  it('reads a string of invalid UTF-8 as Zipkin does, each bad sequence U+FFFD, and keeps the span (protobufjs\'s proto3 check refused it)', () => {
    // Markers in ASCII (the last character of each text below), then swapped for 0xff / 0xc3 (a lead byte without its continuation).
    const body = Buffer.from(encode([
      { ...base, name: 'get /Q', localEndpoint: { serviceName: 'reviewsZ' }, tags: { 'http.url': 'http://x/?q=V', 'key-K': 'ok' }, annotations: [{ value: 'wait W', timestamp: 7 }] },
      { ...base, id: hex('4d1e00c0db9010dc'), name: 'clean' },
    ]));
    for (const [marker, bad] of [['get /Q', 0xff], ['reviewsZ', 0xc3], ['?q=V', 0xff], ['key-K', 0xff], ['wait W', 0xfe]] as const) {
      const at = body.indexOf(marker);
      assert.ok(at >= 0, marker);
      body[at + marker.length - 1] = bad;
    }
    const r = decodeProtoV2Batch(body);
    assert.ok(r.ok);
    assert.deepEqual(r.value.refused, []);
    assert.equal(r.value.spans.length, 2, 'both spans kept');
    const [span, clean] = r.value.spans;
    assert.equal(span?.name, 'get /\ufffd');
    assert.equal(span?.localEndpoint?.serviceName, 'reviews\ufffd');
    assert.deepEqual(span?.tags, { 'http.url': 'http://x/?q=\ufffd', 'key-\ufffd': 'ok' });
    assert.deepEqual(span?.annotations, [{ timestampMicros: 7, value: 'wait \ufffd' }]);
    assert.equal(clean?.name, 'clean');
  });

  it('drops annotations without a timestamp', () => {
    const result = decodeProtoV2(encode([{ ...base, annotations: [{ value: 'ss' }, { value: 'x', timestamp: 7 }] }]));
    assert.ok(result.ok);
    assert.deepEqual(result.value[0]?.annotations, [{ timestampMicros: 7, value: 'x' }]);
  });

  describe('refusing malformed input as a whole', () => {
    const bad: readonly [string, Record<string, unknown>[], readonly Issue[]][] = [
      ['a missing traceId', [{ id: hex(ID) }], [{ path: 'spans[0].traceId', message: 'is required', code: 'missing' }]],
      ['a 12-byte traceId', [{ ...base, traceId: hex('00'.repeat(11) + '01') }], [{ path: 'spans[0].traceId', message: 'must be 8 or 16 bytes, got 12 bytes' }]],
      ['an all-zero traceId', [{ ...base, traceId: hex('00'.repeat(16)) }], [{ path: 'spans[0].traceId', message: 'must not be all zeros' }]],
      ['a missing id', [{ traceId: hex(TRACE) }], [{ path: 'spans[0].id', message: 'is required', code: 'missing' }]],
      ['a 16-byte id', [{ ...base, id: hex(TRACE) }], [{ path: 'spans[0].id', message: 'must be 8 bytes, got 16 bytes' }]],
      ['a 4-byte parentId', [{ ...base, parentId: hex('01020304') }], [{ path: 'spans[0].parentId', message: 'must be 8 bytes, got 4 bytes' }]],
      ['a port above 65535', [{ ...base, localEndpoint: { port: 65536 } }], [{ path: 'spans[0].localEndpoint.port', message: 'must be an integer up to 65535, got 65536' }]],
      ['an unsafe timestamp', [{ ...base, timestamp: '9223372036854775807' }], [{ path: 'spans[0].timestamp', message: 'must be at most 9007199254740990 microseconds' }]],
      ['a duration of 2^53 − 1 (past the Avro record\'s long: it crashed the receiver)', [{ ...base, duration: '9007199254740991' }], [{ path: 'spans[0].duration', message: 'must be at most 9007199254740990 microseconds' }]],
    ];
    for (const [title, spans, issues] of bad) {
      it(`refuses ${title}`, () => {
        assert.deepEqual(issuesOf(decodeProtoV2(encode(spans))), issues);
      });
    }

    it('collects issues from every span and accepts none', () => {
      const issues = issuesOf(decodeProtoV2(encode([base, { id: hex(ID) }, base, { traceId: hex(TRACE), localEndpoint: { port: 70000 } }])));
      assert.deepEqual(issues.map((i) => i.path), ['spans[1].traceId', 'spans[3].id', 'spans[3].localEndpoint.port']);
    });

    it('refuses garbage bytes without throwing', () => {
      const bodies = [
        Uint8Array.from([1, 2, 3, 4, 5]),
        Uint8Array.from([0x0a, 0x50, 0x01]), // span longer than the body
        Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // overlong length
        Uint8Array.from([0x0a]),
        new TextEncoder().encode('[{"traceId":"a"}]'),
      ];
      for (const body of bodies) {
        const issues = issuesOf(decodeProtoV2(body));
        assert.equal(issues.length, 1);
        assert.match(issues[0]?.message ?? '', /^body is not a protobuf ListOfSpans: /);
      }
    });

    it('refuses a span whose own bytes are not a Span alone, keeping its neighbours (found by review: one such span refused the whole POST)', () => {
      const good = encode([base]);
      const spanBytes = (list: Uint8Array): Uint8Array => list.subarray(2); // tag 0x0a and a one-byte length
      // field 1 (traceId) holding wire type 7, which protobuf does not have
      const badSpan = Uint8Array.from([0x0a, 0x08, ...hex('463ac35c9f6413ad'), 0x1f, 0x00]);
      const framed = (span: Uint8Array): number[] => [0x0a, span.length, ...span];
      const body = Uint8Array.from([...framed(spanBytes(good)), ...framed(badSpan), ...framed(spanBytes(good))]);
      const batch = decodeProtoV2Batch(body);
      assert.ok(batch.ok);
      assert.equal(batch.value.spans.length, 2);
      assert.deepEqual(batch.value.bodyIndexes, [0, 2]);
      assert.equal(batch.value.refused.length, 1);
      assert.equal(batch.value.refused[0]?.index, 1);
      assert.equal(batch.value.refused[0]?.reason, 'not_a_span');
      assert.match(batch.value.refused[0]?.issues[0]?.message ?? '', /^is not a protobuf Span \(zipkin.proto3.Span\): /);
      assert.equal(batch.value.refused[0]?.issues[0]?.path, 'spans[1]');
      // the all-or-nothing view refuses it, naming the span
      assert.deepEqual(issuesOf(decodeProtoV2(Uint8Array.from([0x0a, 0x03, 0xff, 0xff, 0xff]))).map((i) => i.path), ['spans[0]']);
    });

    it('refuses a body with top-level fields other than spans', () => {
      // field 2, varint 1: valid protobuf, but not a ListOfSpans
      assert.deepEqual(issuesOf(decodeProtoV2(Uint8Array.from([0x10, 0x01]))), [
        { path: '', message: 'body is not a protobuf ListOfSpans: byte 0x10 at offset 0 is not the tag of field 1 (spans)' },
      ]);
    });

    it('a body with the other Content-Type is named as such, both ways (newcomer trial: JSON.parse\'s "Unexpected token" and "byte 0x5b at offset 0" said nothing of it)', () => {
      const proto = encode([{ ...base, name: 'get', timestamp: 1_700_000_000_000_000, localEndpoint: { serviceName: 'web' } }, { ...base, id: hex('4d1e00c0db9010dc') }]);
      assert.equal(issuesOf(decodeJsonV2(proto))[0]?.message, 'body is not valid JSON: it starts like Zipkin v2 protobuf (a ListOfSpans), not JSON: POST it to /api/v2/spans with Content-Type: application/x-protobuf (meshray translate: --format proto-v2, or no --format)');
      for (const json of ['[{"traceId":"4d1e00c0db9010db"}]', '{"spans":[]}']) {
        assert.equal(issuesOf(decodeProtoV2(Buffer.from(json)))[0]?.message, `body is not a protobuf ListOfSpans: byte 0x${json.charCodeAt(0).toString(16)} at offset 0 is not the tag of field 1 (spans): the body starts like JSON: POST it with Content-Type: application/json (meshray translate: --format json-v2 or json-v1, or no --format)`);
      }
      for (const text of ['\n[\n{,]', '\n\n\n{', '\n\u0040\n\u0008x']) { // JSON with leading newlines; a "span" longer than the body
        assert.match(issuesOf(decodeJsonV2(Buffer.from(text)))[0]?.message ?? '', /^body is not valid JSON: (?!it starts like)/, `${JSON.stringify(text)} is not called protobuf (found by the diff review)`);
      }
    });

    it('refuses a string body', () => {
      assert.deepEqual(issuesOf(decodeProtoV2('\n\u0000')), [{ path: '', message: 'a protobuf body must be bytes, got a string' }]);
    });
  });
});
