import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { parseConfig } from '../../../../shared/edge/config/index.ts';
import { xrayLocalConfigSchema } from '../../../../services/xray-local/index.ts';
import { startXRayLocal } from '../../../support/xray-local.ts';
import { segmentJson, traceId, NOW_MS } from './segment-docs.ts';

test('config: defaults and validation', () => {
  const defaults = parseConfig(xrayLocalConfigSchema, {});
  assert.ok(defaults.ok);
  assert.equal(defaults.value.XRAY_LOCAL_PORT, 2000);
  assert.equal(defaults.value.XRAY_LOCAL_HOST, '127.0.0.1', 'loopback by default: no authentication (issue 10 §4)');
  assert.equal(parseConfig(xrayLocalConfigSchema, { XRAY_LOCAL_TLS_CERT: '/c.pem' }).ok, false, 'a certificate needs its key');
  assert.equal(defaults.value.XRAY_LOCAL_MAX_SEGMENTS, 200_000);
  assert.equal(defaults.value.XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND, 0);
  const set = parseConfig(xrayLocalConfigSchema, { XRAY_LOCAL_PORT: '2001', XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND: '500' });
  assert.ok(set.ok && set.value.XRAY_LOCAL_PORT === 2001 && set.value.XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND === 500);
  const bad = parseConfig(xrayLocalConfigSchema, { XRAY_LOCAL_MAX_SEGMENTS: '0', XRAY_LOCAL_PORT: 'x' });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['XRAY_LOCAL_MAX_SEGMENTS', 'XRAY_LOCAL_PORT']);
});

test('serves the placeholder console, health, metrics and AWS-style unknown operations', async () => {
  const h = await startXRayLocal({ nowMs: () => NOW_MS });
  try {
    await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segmentJson(), segmentJson({ id: '00000000000000ff', name: '<gateway>' })] }));
    const page = await fetch(`${h.endpoint}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.ok(html.includes(traceId(1)));

    assert.deepEqual(await (await fetch(`${h.endpoint}/health/live`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${h.endpoint}/health/ready`)).json(), { status: 'ok' });
    const metrics = await (await fetch(`${h.endpoint}/metrics`)).text();
    assert.match(metrics, /meshray_xray_local_segments_rejected_total\{reason="InvalidName"\} 1/);

    const unknown = await fetch(`${h.endpoint}/SamplingRules`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('x-amzn-errortype'), 'UnknownOperationException');
    assert.deepEqual(await unknown.json(), { __type: 'UnknownOperationException', message: 'xray-local does not implement POST /SamplingRules' });
    // Zipkin spans sent here by mistake (`meshray send --target http://127.0.0.1:2000`) are told where the receiver is
    const zipkin = await fetch(`${h.endpoint}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    assert.equal(zipkin.status, 404);
    assert.match(((await zipkin.json()) as { message: string }).message,
      /^xray-local does not implement POST \/api\/v2\/spans: this is xray-local \(the X-Ray API\); Zipkin spans go to meshray's receiver \(port 9411 by default/);
    // ... whatever the body: protobuf, gzip and v1 Thrift are no JSON, and got "malformed request" (found by review)
    for (const [path, type, body] of [['/api/v2/spans', 'application/x-protobuf', Buffer.from([0x0a, 0x02, 0xff, 0x00])], ['/api/v1/spans', 'application/x-thrift', Buffer.from('\x0c\x00')]] as const) {
      const answer = await fetch(`${h.endpoint}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(answer.status, 404, path);
      assert.match(((await answer.json()) as { message: string }).message, /: this is xray-local \(the X-Ray API\); Zipkin spans go to meshray's receiver/, path);
    }
  } finally {
    await h.close();
  }
});

test('the console escapes stored names', async () => {
  const h = await startXRayLocal({ nowMs: () => NOW_MS });
  try {
    await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segmentJson({ name: 'a&b' })] }));
    const html = await (await fetch(`${h.endpoint}/`)).text();
    assert.ok(html.includes('a&amp;b'));
  } finally {
    await h.close();
  }
});
