import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { detectFormat } from '../../../../../shared/core/zipkin/detect.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const fixture = (name: string): string => readFileSync(new URL(`../../../../fixtures/zipkin/${name}`, import.meta.url), 'utf8');

const root = protobuf.loadSync(fileURLToPath(new URL('../../../../../shared/core/zipkin/proto/zipkin.proto', import.meta.url)));
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

describe('detectFormat', () => {
  const cases: readonly [string, string, string | undefined][] = [
    ['an empty list', '[]', 'json-v2'],
    ['an empty list with blanks', ' \r\n\t[ \n]', 'json-v2'],
    ['a v2 span with localEndpoint', '[{"traceId":"a","id":"b","localEndpoint":{"serviceName":"x"}}]', 'json-v2'],
    ['a v2 span whose first decisive key is kind', '[{"id":"b","kind":"SERVER","traceId":"a"}]', 'json-v2'],
    ['a v2 span with tags only', '[{"traceId":"a","id":"b","tags":{"binaryAnnotations":"x"}}]', 'json-v2'],
    ['a v2 span with annotations but no endpoints', '[{"traceId":"a","id":"b","annotations":[{"timestamp":1,"value":"ss"}]}]', 'json-v2'],
    ['a v1 span with binaryAnnotations', '[{"traceId":"a","id":"b","binaryAnnotations":[]}]', 'json-v1'],
    ['a v1 span with annotation endpoints', '[{"traceId":"a","id":"b","annotations":[{"timestamp":1,"value":"cs","endpoint":{"serviceName":"x"}}]}]', 'json-v1'],
    ['a v1 span whose strings hold braces and escaped quotes', '[{"name":"{[\\"localEndpoint\\"]}","annotations":[{"value":"}","endpoint":{}}]}]', 'json-v1'],
    ['a key named endpoint outside annotations', '[{"traceId":"a","other":[{"endpoint":1}]}]', 'json-v2'],
    ['a minimal span', '[{"traceId":"a","id":"b"}]', 'json-v2'],
    // found by review: only the first span was read, so a plain first span made this list v2
    ['a v1 list whose first span has no decisive key', '[{"traceId":"a","id":"b","name":"root","timestamp":1,"duration":5},{"traceId":"a","id":"c","binaryAnnotations":[]}]', 'json-v1'],
    ['a v2 list whose first span has no decisive key', '[{"traceId":"a","id":"b","name":"root"},{"traceId":"a","id":"c","kind":"SERVER"}]', 'json-v2'],
    ['spans with no decisive key at all', '[{"traceId":"a","id":"b"},{"traceId":"a","id":"c","annotations":[{"timestamp":1,"value":"x"}]}]', 'json-v2'],
    ['a list of non-objects (left for the decoder to refuse)', '[1,2]', 'json-v2'],
    ['a JSON object (left for the decoder to refuse)', '{"traceId":"a"}', 'json-v2'],
    ['truncated JSON', '[{"traceId":"a', 'json-v2'],
    ['text that is not JSON', 'hello', undefined],
  ];
  for (const [title, body, expected] of cases) {
    it(`detects ${title} as ${expected}`, () => {
      assert.equal(detectFormat(bytes(body)), expected);
    });
  }

  it('skips a UTF-8 byte order mark', () => {
    assert.equal(detectFormat(Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes('[{"binaryAnnotations":[]}]')])), 'json-v1');
  });

  it('detects every JSON fixture', () => {
    assert.equal(detectFormat(bytes(fixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json'))), 'json-v2');
    assert.equal(detectFormat(bytes(fixture('envoy-root-span-shared.zipkin-lens.json'))), 'json-v2');
    assert.equal(detectFormat(bytes(fixture('shared-span-clock-skew.zipkin-lens.json'))), 'json-v2');
    for (const inner of JSON.parse(fixture('kourier-envoy-1.24-v2-posts.json')) as unknown[]) {
      assert.equal(detectFormat(bytes(JSON.stringify(inner))), 'json-v2');
    }
    const encodings = JSON.parse(fixture('zipkin-canonical-v1-v2-encodings.json')) as Record<string, unknown>;
    for (const [name, span] of Object.entries(encodings)) {
      assert.equal(detectFormat(bytes(JSON.stringify([span]))), name.endsWith('_V1') ? 'json-v1' : 'json-v2', name);
    }
  });

  it('detects protobuf from its first byte, even when the span length reads as "[" or "{" or a blank', () => {
    const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
    // a span is 20 bytes, plus 2 + its name when named: lengths 32 (' '), 91 ('['), 123 ('{') and two ordinary ones
    for (const [nameLength, spanLength] of [[0, 20], [10, 0x20], [69, 0x5b], [101, 0x7b], [40, 62]] as const) {
      const body = ListOfSpans.encode(
        ListOfSpans.fromObject({ spans: [{ traceId: hex('0123456789abcdef'), id: hex('0123456789abcdef'), name: 'x'.repeat(nameLength) }] }),
      ).finish();
      assert.equal(body[0], 0x0a);
      assert.equal(body[1], spanLength);
      assert.equal(detectFormat(body), 'proto-v2', `span length ${body[1]}`);
    }
  });

  it('lets a protobuf Content-Type win, with or without parameters', () => {
    assert.equal(detectFormat(bytes('[]'), 'application/x-protobuf'), 'proto-v2');
    assert.equal(detectFormat(new Uint8Array(0), 'application/protobuf; charset=binary'), 'proto-v2');
    assert.equal(detectFormat(new Uint8Array(0), 'Application/X-Protobuf'), 'proto-v2');
  });

  it('treats a body under a JSON Content-Type as JSON unless it is empty', () => {
    assert.equal(detectFormat(bytes('nonsense'), 'application/json'), 'json-v2');
    assert.equal(detectFormat(bytes('\n[{"binaryAnnotations":[]}]'), 'application/json; charset=utf-8'), 'json-v1');
    assert.equal(detectFormat(new Uint8Array(0), 'application/json'), undefined);
  });

  it('cannot tell an empty body without a protobuf Content-Type', () => {
    assert.equal(detectFormat(new Uint8Array(0)), undefined);
    assert.equal(detectFormat(bytes('   ')), undefined);
  });
});
