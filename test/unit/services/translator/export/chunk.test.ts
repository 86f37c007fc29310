import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chunkDocuments, requestBytesOf } from '../../../../../services/translator/export/chunk.ts';

/** What one document adds to a PutTraceSegments body, measured the slow way requestBytesOf avoids. */
const measured = (document: string): number => Buffer.byteLength(JSON.stringify(document), 'utf8') + 1;

/** Any UTF-16 string: lone surrogates, control characters and astral pairs included. */
const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));

test('requestBytesOf is exactly the JSON-escaped UTF-8 size plus a separator, for the characters that escape', () => {
  const cases = [
    '', 'plain ascii', '"quoted"', 'back\\slash', 'é and 中文', '😀 astral pair', '\u2028\u2029',
    ...Array.from({ length: 0x20 }, (_, c) => `control ${String.fromCharCode(c)} here`),
    '\ud800', '\udfff', 'lone \ud83d high', 'lone \ude00 low', '\ude00\ud83d reversed pair', '\u007f\u0080\u07ff\u0800\uffff',
  ];
  for (const document of cases) assert.equal(requestBytesOf(document), measured(document), JSON.stringify(document));
});

test('requestBytesOf equals the measured size for any UTF-16 string (property)', () => {
  fc.assert(fc.property(anyUtf16, (document) => requestBytesOf(document) === measured(document)), { numRuns: 2000 });
});

test('chunks: in order, ≤ maxDocuments, ≤ maxPayloadBytes of exact bytes (a lone larger document alone), and full', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(anyUtf16, fc.string({ maxLength: 300 })), { maxLength: 120 }),
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 2000 }),
    (documents, maxDocuments, maxPayloadBytes) => {
      const chunks = chunkDocuments(documents, { maxDocuments, maxPayloadBytes });
      assert.deepEqual(chunks.flat(), documents.map((_, i) => i), 'every document once, in order');
      chunks.forEach((chunk, k) => {
        const bytes = chunk.reduce((sum, i) => sum + measured(documents[i] ?? ''), 0);
        assert.ok(chunk.length >= 1 && chunk.length <= maxDocuments);
        assert.ok(bytes <= maxPayloadBytes || chunk.length === 1, `chunk ${k}: ${bytes} bytes > ${maxPayloadBytes}`);
        const next = chunks[k + 1]?.[0];
        if (next !== undefined) {
          assert.ok(chunk.length === maxDocuments || bytes + measured(documents[next] ?? '') > maxPayloadBytes, `chunk ${k} could have taken document ${next}`);
        }
      });
    },
  ), { numRuns: 300 });
});

test('the request body of a chunk is the sum of its documents\' bytes plus the envelope', () => {
  const documents = ['{"id":"a"}', '{"name":"ü\\"x"}', '\ud800'];
  const body = JSON.stringify({ TraceSegmentDocuments: documents });
  const envelope = Buffer.byteLength(JSON.stringify({ TraceSegmentDocuments: [] }));
  assert.equal(Buffer.byteLength(body), envelope + documents.reduce((sum, d) => sum + requestBytesOf(d), 0) - 1);
});
