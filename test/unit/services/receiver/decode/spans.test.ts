import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequestSpans } from '../../../../../services/receiver/decode/spans.ts';

const json = '[{"traceId":"5af7183fb1d4cf5f","id":"6b221d5bc9e6496c","name":"get","timestamp":1556604172355737,"localEndpoint":{"serviceName":"a"}}]';

/** The refusal's message and its issues' messages, as the 400 body carries them. */
function refusalText(body: Buffer, mediaType: 'json' | 'unspecified'): string {
  const out = decodeRequestSpans(body, mediaType, 'v2');
  assert.ok(!out.ok, 'refused');
  assert.equal(out.error.code, 'BODY_MALFORMED');
  return [out.error.message, ...out.error.issues.map((i) => i.message)].join(' | ');
}

test('a UTF-16 body (with its byte-order mark, or without) is refused as UTF-16, with or without a JSON Content-Type', () => {
  const bodies = [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]), Buffer.from(json, 'utf16le')];
  for (const body of bodies) {
    for (const mediaType of ['json', 'unspecified'] as const) {
      assert.match(refusalText(body, mediaType), /it looks UTF-16-encoded \(starts with (ff fe|5b 00)\); Zipkin JSON must be UTF-8/, mediaType);
    }
  }
  const utf8 = decodeRequestSpans(Buffer.from(json), 'json', 'v2');
  assert.ok(utf8.ok);
});
