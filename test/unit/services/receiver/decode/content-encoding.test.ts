import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeContentEncoding, identityBody } from '../../../../../services/receiver/decode/content-encoding.ts';

const text = Buffer.from('[{"traceId":"0000000000000001","id":"0000000000000001"}]');

describe('decodeContentEncoding', () => {
  it('passes identity and no encoding through', async () => {
    for (const enc of [undefined, '', 'identity', 'IDENTITY']) {
      const r = await decodeContentEncoding(text, enc, 1000);
      assert.ok(r.ok);
      assert.equal(r.value, text);
    }
  });

  it('identityBody: passes absent, empty and identity codings through synchronously, held to the limit', () => {
    for (const enc of [undefined, '', 'identity', 'Identity']) assert.deepEqual(identityBody(text, enc, 1000), { ok: true, value: text });
    assert.equal(identityBody(text, undefined, text.length - 1)?.ok, false);
    for (const enc of ['gzip', 'identity, gzip', 'br']) assert.equal(identityBody(text, enc, 1000), undefined);
  });

  it('inflates gzip, x-gzip, zlib deflate and raw deflate', async () => {
    for (const [enc, body] of [['gzip', gzipSync(text)], ['x-gzip', gzipSync(text)], ['deflate', deflateSync(text)], ['deflate', deflateRawSync(text)]] as const) {
      const r = await decodeContentEncoding(body, enc, 1000);
      assert.ok(r.ok, enc);
      assert.deepEqual(r.value, text);
    }
  });

  it('undoes a list of encodings last-applied first', async () => {
    const r = await decodeContentEncoding(gzipSync(deflateSync(text)), 'deflate, gzip', 1000);
    assert.ok(r.ok);
    assert.deepEqual(r.value, text);
  });

  it('stops at the decoded limit: BODY_TOO_LARGE', async () => {
    const r = await decodeContentEncoding(gzipSync(Buffer.alloc(10 * 1024 * 1024)), 'gzip', 64 * 1024);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BODY_TOO_LARGE');
    const exact = await decodeContentEncoding(gzipSync(Buffer.alloc(1000)), 'gzip', 1000);
    assert.ok(exact.ok);
    const identity = await decodeContentEncoding(Buffer.alloc(1001), undefined, 1000);
    assert.ok(!identity.ok);
    assert.equal(identity.error.code, 'BODY_TOO_LARGE');
  });

  it('refuses unknown encodings and corrupt streams: UNSUPPORTED_ENCODING', async () => {
    for (const [enc, body] of [['br', text], ['compress', text], ['gzip', text], ['gzip', gzipSync(text).subarray(0, 20)], ['deflate', text]] as const) {
      const r = await decodeContentEncoding(body, enc, 1000);
      assert.ok(!r.ok, enc);
      assert.equal(r.error.code, 'UNSUPPORTED_ENCODING');
    }
  });

  it('a plain JSON body labelled gzip or deflate is told to drop the label (zlib\'s "incorrect header check" said nothing of it)', async () => {
    const json = Buffer.from(' [{"traceId":"abc"}]');
    for (const coding of ['gzip', 'deflate']) {
      const r = await decodeContentEncoding(json, coding, 1000);
      assert.ok(!r.ok);
      assert.match(r.error.message, new RegExp(`^body is not valid ${coding} data: it is uncompressed JSON \\(it starts with "\\["\\); send it without Content-Encoding: ${coding} \\(zlib: `));
    }
    const cut = await decodeContentEncoding(gzipSync(json).subarray(0, 20), 'gzip', 1000);
    assert.ok(!cut.ok);
    assert.match(cut.error.message, /^body is not valid gzip data \(zlib: /, 'gzip cut short: no advice to drop the label');
  });
});
