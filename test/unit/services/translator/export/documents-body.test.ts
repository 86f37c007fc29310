import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { traceSegmentsBodyOf, useDocumentsBody } from '../../../../../services/translator/export/documents-body.ts';

interface Captured { body: unknown; headers: Record<string, string>; path: string; method: string }

/** A client whose request handler keeps each request and answers 200 with no unprocessed segment. */
function capturingClient(): { client: XRayClient; requests: Captured[] } {
  const requests: Captured[] = [];
  const client = new XRayClient({
    region: 'us-east-1', endpoint: 'http://127.0.0.1:2000', maxAttempts: 1,
    credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' },
    requestHandler: {
      handle: async (request: Captured) => {
        requests.push({ body: request.body, headers: { ...request.headers }, path: request.path, method: request.method });
        return { response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from('{"UnprocessedTraceSegments":[]}')]) } };
      },
    },
  });
  return { client, requests };
}

// Escapes, non-ASCII, a lone surrogate and a built-up (cons) string: whatever the SDK writes, the body is the same.
const DOCUMENTS = [
  '{"name":"productpage.default","id":"0123456789abcdef","trace_id":"1-5d0d2f3a-0123456789abcdef01234567","start_time":1.5}',
  '{"name":"r\u00e9views \\"v2\\"","annotations":{"k":"line\\nbreak \u2028 \ud83d\ude00"}}',
  'not json at all: \u0001 \\ \ud800',
  ['{"a":', '1', ',"b":"', 'x'.repeat(300), '"}'].reduce((a, b) => a + b, ''),
];

test('the documents body is byte for byte what the SDK serializer writes, and the signed request is identical', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-11-29T12:00:00Z') });
  const plain = capturingClient();
  const light = capturingClient();
  useDocumentsBody(light.client);
  await plain.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: DOCUMENTS }));
  await light.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: DOCUMENTS }));
  const [sdk, ours] = [plain.requests[0], light.requests[0]];
  assert.ok(sdk && ours);
  const bytes = (body: unknown): Buffer => Buffer.from(body as Uint8Array);
  assert.equal(bytes(ours.body).toString('utf8'), bytes(sdk.body).toString('utf8'));
  assert.deepEqual(bytes(ours.body), bytes(sdk.body));
  assert.equal(traceSegmentsBodyOf(DOCUMENTS), bytes(sdk.body).toString('utf8'));
  // Every header but the per-call invocation id and the signature over it: same content-length, same
  // x-amz-content-sha256 (SigV4 signs the body we wrote), same path and method.
  const stable = (r: Captured): Omit<Captured, 'body'> => {
    const { 'amz-sdk-invocation-id': _id, authorization, ...headers } = r.headers;
    assert.match(authorization ?? '', /^AWS4-HMAC-SHA256 Credential=meshray-local\/20261129\/us-east-1\/xray\/aws4_request, SignedHeaders=.*content-length.*x-amz-content-sha256/);
    return { headers, path: r.path, method: r.method };
  };
  assert.deepEqual(stable(ours), stable(sdk));
  assert.equal(ours.headers['content-length'], String(bytes(sdk.body).length));
});

test('other commands and an empty document list pass through to the SDK serializer', async () => {
  const light = capturingClient();
  useDocumentsBody(light.client);
  await light.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [] }));
  assert.equal(Buffer.from(light.requests[0]?.body as Uint8Array).toString('utf8'), '{"TraceSegmentDocuments":[]}');
});
