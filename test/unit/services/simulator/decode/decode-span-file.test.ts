import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detectSpanFileFormat } from '../../../../../services/simulator/decode/decode-span-file.ts';

const bookinfo = readFileSync(new URL('../../../../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));

test('a v2 JSON array is json-v2, a v1 array json-v1, one span object per line ndjson, anything else undetected', () => {
  assert.equal(detectSpanFileFormat(bookinfo), 'json-v2');
  assert.equal(detectSpanFileFormat(Buffer.from(JSON.stringify([{ traceId: 'abcdef0123456789', id: 'abcdef0123456789', name: 'get', binaryAnnotations: [] }]))), 'json-v1');
  assert.equal(detectSpanFileFormat(Buffer.from('{"traceId":"abcdef0123456789","id":"abcdef0123456789"}\n{"traceId":"abcdef0123456789","id":"abcdef0123456780"}\n')), 'ndjson');
  assert.equal(detectSpanFileFormat(Buffer.from('\uFEFF{"traceId":"abcdef0123456789","id":"abcdef0123456789"}\n')), 'ndjson', 'after a byte order mark');
  assert.equal(detectSpanFileFormat(Buffer.from('hello')), undefined);
});

test('ndjson that starts with a blank line is ndjson; a protobuf ListOfSpans (0x0a, then a length that reads as {) is not', () => {
  assert.equal(detectSpanFileFormat(Buffer.from('\n\n{"traceId":"abcdef0123456789","id":"abcdef0123456789"}\n')), 'ndjson');
  const proto = Buffer.from([0x0a, 0x7b, 0x0a, 0x08, ...Buffer.alloc(8, 1), 0x12, 0x08, ...Buffer.alloc(8, 2)]);
  assert.notEqual(detectSpanFileFormat(proto), 'ndjson');
});
