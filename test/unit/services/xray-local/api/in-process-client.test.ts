import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetTraceSummariesCommand, PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildXRayLocal, SegmentStore } from '../../../../../services/xray-local/index.ts';
import { codeOfCallError } from '../../../../../services/translator/policy/error-policy.ts';
import { hexId, NOW_MS, segmentJson } from '../segment-docs.ts';

const embedded = (throttleSegmentsPerSecond = 0) => {
  const store = new SegmentStore({ maxSegments: 100 });
  const { client } = buildXRayLocal({ logger: silentLogger(), registry: createRegistry(), maxSegments: 100, store, nowMs: () => NOW_MS, throttleSegmentsPerSecond });
  return { store, client };
};

test('the in-process client stores what the HTTP API would, and reports refused documents as UnprocessedTraceSegments', async () => {
  const { store, client } = embedded();
  const out = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segmentJson(), segmentJson({ id: 'nothex', name: 'x' }), segmentJson({ id: hexId(2) })] }));
  assert.equal(store.segmentCount, 2);
  assert.deepEqual(out.UnprocessedTraceSegments?.map((u) => [u.Id, u.ErrorCode]), [['nothex', 'InvalidId']]);
});

test('a refused call throws the SDK exception the error policy classifies as it does X-Ray\'s', async () => {
  const throttledLocal = embedded(1);
  await throttledLocal.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segmentJson()] }));
  const throttled = await throttledLocal.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segmentJson({ id: hexId(3) })] })).then(() => undefined, (e: unknown) => e);
  assert.equal((throttled as Error).name, 'ThrottledException');
  assert.equal(codeOfCallError(throttled), 'XRAY_THROTTLED');
  const { client } = embedded();
  const invalid = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: Array.from({ length: 51 }, (_, i) => segmentJson({ id: hexId(i + 1) })) })).then(() => undefined, (e: unknown) => e);
  assert.equal((invalid as Error).name, 'InvalidRequestException');
  assert.equal(codeOfCallError(invalid), 'SEGMENT_REJECTED');
  await assert.rejects(client.send(new GetTraceSummariesCommand({ StartTime: new Date(0), EndTime: new Date(1) }) as never), /PutTraceSegments only/);
});
