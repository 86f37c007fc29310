import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetTracesCommand, InvalidRequestException, PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { type XRayLocal as Harness, startXRayLocal } from '../../../../support/xray-local.ts';
import { EPOCH_SEC, hexId, traceId, NOW_MS } from '../segment-docs.ts';

describe('BatchGetTraces', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('returns the exact document strings stored, per trace, with unknown ids unprocessed', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    // Key order, spacing and number formatting must survive untouched.
    const root = `{ "trace_id": "${traceId(1)}", "name": "productpage", "id": "${hexId(1)}",\n  "start_time": ${EPOCH_SEC}.000, "end_time": ${EPOCH_SEC}.75 }`;
    const sub = JSON.stringify({ type: 'subsegment', parent_id: hexId(1), trace_id: traceId(1), id: hexId(2), name: 'détails', namespace: 'remote', start_time: EPOCH_SEC + 0.25, end_time: EPOCH_SEC + 0.5 });
    const other = JSON.stringify({ name: 'reviews', id: hexId(3), trace_id: traceId(2), start_time: EPOCH_SEC, end_time: EPOCH_SEC + 1 });
    const put = await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [sub, root, other] }));
    assert.deepEqual(put.UnprocessedTraceSegments, []);

    const result = await h.client.send(new BatchGetTracesCommand({ TraceIds: [traceId(1), traceId(9), traceId(2)] }));
    assert.deepEqual(result.UnprocessedTraceIds, [traceId(9)]);
    assert.deepEqual(result.Traces?.map((t) => t.Id), [traceId(1), traceId(2)]);
    const [first] = result.Traces ?? [];
    assert.equal(first?.Duration, 0.75);
    assert.equal(first?.LimitExceeded, false);
    assert.deepEqual(first?.Segments, [{ Id: hexId(1), Document: root }, { Id: hexId(2), Document: sub }]);
  });

  test('more than 5 trace ids, or none, is InvalidRequestException', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const six = Array.from({ length: 6 }, (_, i) => traceId(i + 1));
    await assert.rejects(h.client.send(new BatchGetTracesCommand({ TraceIds: six })), InvalidRequestException);
    await assert.rejects(h.client.send(new BatchGetTracesCommand({ TraceIds: [] })), InvalidRequestException);
  });
});
