import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetTracesCommand, InvalidRequestException, PutTraceSegmentsCommand, ThrottledException } from '@aws-sdk/client-xray';
import { type XRayLocal as Harness, counterValue, startXRayLocal } from '../../../../support/xray-local.ts';
import { hexId, segmentJson, traceId, NOW_MS } from '../segment-docs.ts';

describe('PutTraceSegments', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('stores valid documents and reports each invalid one with an AWS-like ErrorCode', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const tooLarge = segmentJson({ id: hexId(6), metadata: { default: { blob: 'x'.repeat(70 * 1024) } } });
    const result = await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [
        segmentJson(),
        segmentJson({ id: hexId(2), trace_id: '1-zzzz-123' }),
        segmentJson({ id: undefined }),
        'not json',
        tooLarge,
        segmentJson({ id: hexId(7), name: 'bad<name>' }),
        segmentJson({ id: hexId(8), end_time: undefined }),
      ],
    }));
    const byCode = (result.UnprocessedTraceSegments ?? []).map((u) => [u.ErrorCode, u.Id]);
    assert.deepEqual(byCode, [
      ['InvalidTraceId', hexId(2)],
      ['MissingId', undefined],
      ['InvalidJson', undefined],
      ['SegmentTooLarge', hexId(6)],
      ['InvalidName', hexId(7)],
      ['MissingEndTime', hexId(8)],
    ]);
    const [invalidTrace] = result.UnprocessedTraceSegments ?? [];
    assert.match(invalidTrace?.Message ?? '', /^Invalid segment\. ErrorCode: InvalidTraceId, Cause: trace_id: /);

    const stored = await h.client.send(new BatchGetTracesCommand({ TraceIds: [traceId(1)] }));
    assert.equal(stored.Traces?.[0]?.Segments?.length, 1);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_accepted_total'), 1);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_rejected_total', { reason: 'InvalidTraceId' }), 1);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_rejected_total', { reason: 'SegmentTooLarge' }), 1);
  });

  test('refuses a trace id X-Ray refuses: dated more than 30 days back or 5 minutes ahead (InvalidTraceId)', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const nowS = NOW_MS / 1000;
    const DAY = 86_400;
    const result = await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [
        segmentJson({ id: hexId(1), trace_id: traceId(1, nowS - 30 * DAY), start_time: nowS - 30 * DAY, end_time: nowS - 30 * DAY + 1 }),
        segmentJson({ id: hexId(2), trace_id: traceId(2, nowS - 30 * DAY - 1) }),
        segmentJson({ id: hexId(3), trace_id: traceId(3, nowS + 300) }),
        segmentJson({ id: hexId(4), trace_id: traceId(4, nowS + 301) }),
        segmentJson({ id: hexId(5), trace_id: traceId(5, 0) }),
      ],
    }));
    assert.deepEqual((result.UnprocessedTraceSegments ?? []).map((u) => [u.ErrorCode, u.Id]), [
      ['InvalidTraceId', hexId(2)],
      ['InvalidTraceId', hexId(4)],
      ['InvalidTraceId', hexId(5)],
    ]);
    assert.match(result.UnprocessedTraceSegments?.[2]?.Message ?? '', /^Invalid segment\. ErrorCode: InvalidTraceId, Cause: trace_id 1-00000000-\w+ is dated 1970-01-01T00:00:00\.000Z/);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_accepted_total'), 2);
  });

  test('counts the subsegments embedded in stored documents, recursively (a packed document carries several spans)', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const sub = (n: number, subsegments?: unknown[]) => ({ id: hexId(n), name: 'reviews', start_time: 1694498817, end_time: 1694498817.2, ...(subsegments ? { subsegments } : {}) });
    await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [segmentJson({ subsegments: [sub(2, [sub(3)]), sub(4)] }), segmentJson({ id: hexId(5) })],
    }));
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_accepted_total'), 2);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_subsegments_nested_total'), 3);
  });

  test('a subsegment is reported as such in the Message', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const result = await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [segmentJson({ type: 'subsegment', parent_id: undefined })],
    }));
    assert.deepEqual(result.UnprocessedTraceSegments?.map((u) => u.ErrorCode), ['MissingParentId']);
    assert.match(result.UnprocessedTraceSegments?.[0]?.Message ?? '', /^Invalid subsegment\./);
  });

  test('refuses more than 50 documents with InvalidRequestException (400), accepts exactly 50', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const docs = (n: number) => Array.from({ length: n }, (_, i) => segmentJson({ id: hexId(i + 1) }));
    await assert.rejects(
      h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs(51) })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequestException);
        assert.equal(error.$metadata.httpStatusCode, 400);
        assert.match(error.message, /51 documents, at most 50/);
        return true;
      },
    );
    const ok = await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs(50) }));
    assert.deepEqual(ok.UnprocessedTraceSegments, []);
  });

  test('a document with an id already stored in the trace replaces it', async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const first = segmentJson({ end_time: 1694498817.5 });
    const second = segmentJson({ end_time: 1694498818, http: { response: { status: 503 } } });
    await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [first] }));
    await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [second] }));
    const traces = await h.client.send(new BatchGetTracesCommand({ TraceIds: [traceId(1)] }));
    assert.deepEqual(traces.Traces?.[0]?.Segments, [{ Id: hexId(1), Document: second }]);
  });

  test('answers InvalidRequestException when TraceSegmentDocuments is missing or the body is not JSON', async () => {
    const harness = await startXRayLocal({ nowMs: () => NOW_MS });
    h = harness;
    for (const body of ['{}', '{"TraceSegmentDocuments":"x"}', '{not json']) {
      const response = await fetch(`${harness.endpoint}/TraceSegments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400, body);
      assert.equal(response.headers.get('x-amzn-errortype'), 'InvalidRequestException');
      const json = (await response.json()) as { __type: string; message: string };
      assert.equal(json.__type, 'InvalidRequestException');
      assert.ok(json.message.length > 0);
    }
  });
});

describe('PutTraceSegments throttling (XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('accepts what fits, returns the rest as ThrottledException, then refuses the whole call with 429', async () => {
    let nowMs = NOW_MS;
    h = await startXRayLocal({ throttleSegmentsPerSecond: 3, nowMs: () => nowMs });
    const docs = (from: number, n: number) => Array.from({ length: n }, (_, i) => segmentJson({ id: hexId(from + i) }));

    const partial = await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs(1, 5) }));
    assert.deepEqual(partial.UnprocessedTraceSegments?.map((u) => [u.Id, u.ErrorCode]), [
      [hexId(4), 'ThrottledException'],
      [hexId(5), 'ThrottledException'],
    ]);

    await assert.rejects(
      h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs(10, 1) })),
      (error: unknown) => {
        assert.ok(error instanceof ThrottledException);
        assert.equal(error.$metadata.httpStatusCode, 429);
        return true;
      },
    );

    nowMs += 1000;
    const refilled = await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs(20, 3) }));
    assert.deepEqual(refilled.UnprocessedTraceSegments, []);

    const stored = await h.client.send(new BatchGetTracesCommand({ TraceIds: [traceId(1)] }));
    assert.deepEqual(stored.Traces?.[0]?.Segments?.map((s) => s.Id).sort(), [1, 2, 3, 20, 21, 22].map(hexId));
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_segments_throttled_total'), 3);
    assert.equal(await counterValue(h.registry, 'meshray_xray_local_calls_throttled_total'), 1);
  });

  test('is off by default', async () => {
    const harness = await startXRayLocal({ nowMs: () => NOW_MS });
    h = harness;
    for (let call = 0; call < 3; call += 1) {
      const docs = Array.from({ length: 50 }, (_, i) => segmentJson({ id: hexId(call * 50 + i + 1) }));
      const result = await harness.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs }));
      assert.deepEqual(result.UnprocessedTraceSegments, []);
    }
  });
});
