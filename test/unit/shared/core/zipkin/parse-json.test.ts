import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonArray, utf16Hint } from '../../../../../shared/core/zipkin/parse-json.ts';
import { decodeNdjsonV2Batch, decodeSpanBatch } from '../../../../../shared/core/zipkin/decode.ts';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

test('a lone surrogate escape in a value or a key becomes U+FFFD, as malformed UTF-8 bytes do', () => {
  // what Python's json.dumps writes for a str holding a lone surrogate
  const parsed = parseJsonArray(bytes('[{"tags":{"x":"\\ud800 lone","\\udc00k":"v","__proto__":"p"},"name":"a\\uDBFFb"}]'));
  assert.ok(parsed.ok);
  const span = parsed.value[0] as { tags: Record<string, string>; name: string };
  assert.equal(span.tags['x'], '\ufffd lone');
  assert.equal(span.tags['\ufffdk'], 'v');
  assert.equal(Object.getOwnPropertyDescriptor(span.tags, '__proto__')?.value, 'p');
  assert.equal(span.name, 'a\ufffdb');
  const malformedBytes = parseJsonArray(Buffer.concat([bytes('[{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), bytes('"}]')]));
  assert.ok(malformedBytes.ok);
  assert.equal((malformedBytes.value[0] as { x: string }).x, '\ufffd\ufffd\ufffd'); // three malformed bytes (WHATWG decoding)
});

const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

test('property: any strings, keys and values, escaped as JSON.stringify escapes them, read back with each lone surrogate as U+FFFD', () => {
  // code points and surrogate halves alike (fast-check's 'binary' unit makes whole code points only)
  const unit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)));
  const text = fc.string({ unit, maxLength: 12 });
  fc.assert(fc.property(fc.array(fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 4 }), { maxLength: 3 }), (value) => {
    const parsed = parseJsonArray(bytes(JSON.stringify(value)));
    assert.ok(parsed.ok);
    const expected = value.map((o) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) Object.defineProperty(out, toWellFormed(k), { value: typeof v === 'string' ? toWellFormed(v) : v, enumerable: true, writable: true, configurable: true });
      return out;
    });
    assert.deepEqual(parsed.value, expected);
  }), { numRuns: 1000 });
});

test('escaped surrogate pairs, and an escaped backslash before "ud800", are not lone surrogates', () => {
  const pair = parseJsonArray(bytes('[{"e":"\\ud83d\\ude00","f":"\\uD83D\\uDE00","g":"\\\\ud800"}]'));
  assert.ok(pair.ok);
  assert.deepEqual(pair.value, [{ e: '😀', f: '😀', g: '\\ud800' }]);
});

test('an NDJSON line with a lone surrogate escape is read as the JSON array reader reads it (meshray translate of an .ndjson file)', () => {
  const line = '{"traceId":"5af7183fb1d4cf5f","id":"6b221d5bc9e6496c","name":"a","timestamp":1556604172355737,"localEndpoint":{"serviceName":"s"},"tags":{"error":"boom \\ud800","1x":"\\udc00"}}';
  const ndjson = decodeNdjsonV2Batch(bytes(`${line}\n`));
  const array = decodeSpanBatch(bytes(`[${line}]`), 'json-v2');
  assert.ok(ndjson.ok && array.ok);
  assert.deepEqual(ndjson.value.spans, array.value.spans);
  assert.deepEqual(ndjson.value.spans[0]?.tags, { error: 'boom \ufffd', '1x': '\ufffd' });
});

test('a body that is not a JSON array is refused with what it was', () => {
  const object = parseJsonArray(bytes('{"traceId":"a"}'));
  assert.ok(!object.ok);
  assert.match(object.issues[0]?.message ?? '', /must be a JSON array of spans, got an object/);
  const broken = parseJsonArray(bytes('[{"x":'));
  assert.ok(!broken.ok);
  assert.match(broken.issues[0]?.message ?? '', /^body is not valid JSON/);
});

test('a UTF-16 body, with or without its byte-order mark, is refused as UTF-16 with how to convert it', () => {
  const json = '[{"traceId":"5af7183fb1d4cf5f"}]';
  const bodies = [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]), Buffer.from(json, 'utf16le'), Buffer.from(json, 'utf16le').swap16()];
  for (const body of bodies) {
    const parsed = parseJsonArray(body);
    assert.ok(!parsed.ok);
    assert.match(parsed.issues[0]?.message ?? '', /^body is not (valid JSON|valid UTF-8): it looks UTF-16-encoded \(starts with [0-9a-f]{2} [0-9a-f]{2}\); Zipkin JSON must be UTF-8/);
  }
  assert.equal(utf16Hint(Buffer.from(json)), undefined);
  assert.equal(utf16Hint(Buffer.from('\ufeff[]')), undefined, 'the UTF-8 byte-order mark (ef bb bf) is UTF-8');
});
