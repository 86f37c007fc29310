import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeSpanFile, detectSpanFileFormat } from '../../../../../services/simulator/decode/decode-span-file.ts';
import { encodeSpanJsonV2 } from '../../../../../services/simulator/encode/encode-json-v2.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';

const bookinfo = readFileSync(new URL('../../../../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));

test('a v2 JSON array decodes as json-v2; the same spans as ndjson decode identically', () => {
  const array = decodeSpanFile(bookinfo);
  assert.ok(array.ok);
  assert.equal(array.value.format, 'json-v2');
  assert.equal(array.value.spans.length, 8);
  const ndjson = Buffer.from(`${array.value.spans.map(encodeSpanJsonV2).join('\n')}\n\n`);
  assert.equal(detectSpanFileFormat(ndjson), 'ndjson');
  const lines = decodeSpanFile(ndjson);
  assert.ok(lines.ok, lines.ok ? '' : formatIssues(lines.issues));
  assert.equal(lines.value.format, 'ndjson');
  assert.deepEqual(lines.value.spans, array.value.spans);
});

test('v1 JSON is detected and decoded', () => {
  const body = Buffer.from(JSON.stringify([{ traceId: 'abcdef0123456789', id: 'abcdef0123456789', name: 'get', binaryAnnotations: [] }]));
  const r = decodeSpanFile(body);
  assert.ok(r.ok);
  assert.equal(r.value.format, 'json-v1');
});

test('a bad ndjson line is named by its line number and field', () => {
  const good = '{"traceId":"abcdef0123456789","id":"abcdef0123456789"}';
  const r = decodeSpanFile(Buffer.from(`${good}\n${good.replace('"id":"abcdef0123456789"', '"id":"xyz"')}\nnot json\n`));
  assert.ok(!r.ok);
  const text = formatIssues(r.issues);
  assert.match(text, /^line 2\.id: /m);
  assert.match(text, /^line 3: /m);
});

test('a bad span in a JSON array is named by its index and field; unknown bytes are refused', () => {
  const r = decodeSpanFile(Buffer.from('[{"traceId":"abcdef0123456789","id":"abcdef0123456789","timestamp":"soon"}]'));
  assert.ok(!r.ok);
  assert.match(formatIssues(r.issues), /spans\[0\]\.timestamp/);
  const unknown = decodeSpanFile(Buffer.from('hello'));
  assert.ok(!unknown.ok);
  assert.match(formatIssues(unknown.issues), /could not detect the format/);
});

test('dead-letter lines (capture --dlq, the all-in-one\'s DEAD_LETTER_FILE) give their span; one without a span is counted, not sent', () => {
  const array = decodeSpanFile(bookinfo);
  assert.ok(array.ok);
  const [first, second] = array.value.spans;
  assert.ok(first && second);
  const letter = (span: unknown): string => JSON.stringify({
    time: '2026-12-01T16:00:00.000Z', reason: 'no_timestamp', errorCode: 'SPAN_UNTRANSLATABLE', attempts: 1,
    source: { topic: 'meshray.spans', partition: 0, offset: '7' }, message: 'spans[0].timestampMicros: required', span,
  });
  const body = Buffer.from([letter(JSON.parse(encodeSpanJsonV2(first))), encodeSpanJsonV2(second), letter(null)].join('\n'));
  const r = decodeSpanFile(body);
  assert.ok(r.ok, r.ok ? '' : formatIssues(r.issues));
  assert.deepEqual(r.value.spans, [first, second]);
  assert.equal(r.value.deadLettersWithoutSpan, 1);
  const plain = decodeSpanFile(Buffer.from(encodeSpanJsonV2(first)));
  assert.ok(plain.ok);
  assert.equal(plain.value.deadLettersWithoutSpan, undefined);
});
