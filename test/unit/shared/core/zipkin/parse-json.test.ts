import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonArray } from '../../../../../shared/core/zipkin/parse-json.ts';

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

test('escaped surrogate pairs and bodies without surrogate escapes parse as JSON.parse parses them', () => {
  const pair = parseJsonArray(bytes('[{"e":"\\ud83d\\ude00","f":"\\uD83D\\uDE00"}]'));
  assert.ok(pair.ok);
  assert.deepEqual(pair.value, [{ e: '😀', f: '😀' }]);
  fc.assert(fc.property(fc.array(fc.jsonValue()), (value) => {
    const text = JSON.stringify(value);
    const parsed = parseJsonArray(bytes(text));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, JSON.parse(text));
  }), { numRuns: 300 });
});

test('a body that is not a JSON array is refused with what it was', () => {
  const object = parseJsonArray(bytes('{"traceId":"a"}'));
  assert.ok(!object.ok);
  assert.match(object.issues[0]?.message ?? '', /must be a JSON array of spans, got an object/);
  const broken = parseJsonArray(bytes('[{"x":'));
  assert.ok(!broken.ok);
  assert.match(broken.issues[0]?.message ?? '', /^body is not valid JSON/);
});
