import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { createXRayClient, credentialSourceOf, describeExportTarget } from '../../../../../services/translator/export/xray-client.ts';
import { codeOfCallError } from '../../../../../services/translator/policy/error-policy.ts';

test('the export target is described from configuration: endpoint, region, credential source (no secret read)', () => {
  assert.deepEqual(describeExportTarget({ region: undefined, endpoint: 'http://127.0.0.1:2000', env: {} }), {
    endpoint: 'http://127.0.0.1:2000', region: 'us-east-1',
    credentials: 'placeholder (an XRAY_ENDPOINT outside AWS without AWS_ACCESS_KEY_ID or AWS_PROFILE: xray-local checks no signature)',
  });
  assert.equal(describeExportTarget({ region: 'eu-west-1', endpoint: undefined, env: {} }).endpoint, 'https://xray.eu-west-1.amazonaws.com');
});

test('credential source: the link of the SDK default chain the environment selects', () => {
  const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [{ AWS_PROFILE: 'archive', AWS_ACCESS_KEY_ID: 'AKIA...' }, /^profile "archive"/],
    [{ AWS_ACCESS_KEY_ID: 'AKIA...', AWS_SECRET_ACCESS_KEY: 's' }, /^environment \(AWS_ACCESS_KEY_ID\)$/],
    [{ AWS_ACCESS_KEY_ID: 'ASIA...', AWS_SESSION_TOKEN: 't' }, /with AWS_SESSION_TOKEN/],
    [{ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/x' }, /^web identity \(IRSA.*arn:aws:iam::1:role\/x/],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' }, /^container metadata/],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }, /^container metadata/],
    [{ AWS_EC2_METADATA_DISABLED: 'true' }, /instance metadata is disabled/],
    [{}, /instance metadata \(EC2 instance role\)/],
  ];
  for (const [env, expected] of cases) assert.match(credentialSourceOf(undefined, env), expected, JSON.stringify(env));
  assert.doesNotMatch(credentialSourceOf(undefined, { AWS_ACCESS_KEY_ID: 'AKIASECRETLOOKING', AWS_SECRET_ACCESS_KEY: 'topsecret' }), /AKIASECRETLOOKING|topsecret/);
  assert.match(credentialSourceOf('http://xray.internal:2000', { AWS_ACCESS_KEY_ID: 'AKIA' }), /^environment/, 'an endpoint with real keys signs with them');
  assert.match(credentialSourceOf('https://xray.eu-west-1.amazonaws.com', {}), /^default chain/, 'an AWS endpoint takes the default chain (~/.aws, an instance role), never placeholder keys');
  assert.match(credentialSourceOf('https://xray-fips.us-gov-west-1.amazonaws.com', {}), /^default chain/);
  assert.match(credentialSourceOf('http://amazonaws.com.evil:2000', {}), /^placeholder/);
});

test('the X-Ray client resolves its middleware stack once per command (cacheMiddleware) and leaves retrying to meshray', async () => {
  const client = createXRayClient({ region: undefined, endpoint: 'http://127.0.0.1:2000', env: {} });
  try {
    assert.equal(client.config.cacheMiddleware, true);
    assert.equal(await client.config.maxAttempts(), 1);
  } finally {
    client.destroy();
  }
});

test('a PutTraceSegments call to an endpoint that never answers, or stalls after its headers, times out, retryable (it held the call, and the window timer behind it, for minutes)', { timeout: 20_000 }, async (t) => {
  const sockets: Socket[] = [];
  // the first connection is never answered; the next is answered with headers and half a body, then nothing
  const silent = createServer((socket) => {
    sockets.push(socket);
    if (sockets.length === 1) return;
    socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{"Unprocessed'));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); silent.close(); });
  const { port } = silent.address() as AddressInfo;
  const client = createXRayClient({ region: undefined, endpoint: `http://127.0.0.1:${port}`, env: {}, requestTimeoutMs: 300 });
  const error = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: ['{}'] })).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof Error, 'the call failed');
  assert.equal(error.name, 'TimeoutError');
  assert.equal(codeOfCallError(error), 'XRAY_UNAVAILABLE', 'retried with heartbeats, as any outage');
  const stalled = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: ['{}'] })).then(() => undefined, (e: unknown) => e);
  assert.ok(stalled instanceof Error, 'a body stalled after the headers fails the call too');
  assert.equal(codeOfCallError(stalled), 'XRAY_UNAVAILABLE');
  client.destroy();
});
