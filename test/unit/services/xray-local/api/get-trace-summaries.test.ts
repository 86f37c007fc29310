import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetTraceSummariesCommand, InvalidRequestException, PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { type XRayLocal as Harness, startXRayLocal } from '../../../../support/xray-local.ts';
import { EPOCH_SEC, hexId, segmentJson, traceId, NOW_MS } from '../segment-docs.ts';

const at = (sec: number) => new Date(sec * 1000);

describe('GetTraceSummaries', () => {
  let h: Harness;
  const ok = traceId(1, EPOCH_SEC);
  const failing = traceId(2, EPOCH_SEC + 100);
  const throttled = traceId(4, EPOCH_SEC + 10);
  const later = traceId(3, EPOCH_SEC + 5000);
  const lateEvent = traceId(5, EPOCH_SEC - 3600);

  before(async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [
        segmentJson({ trace_id: ok, id: hexId(1), name: 'productpage', start_time: EPOCH_SEC, end_time: EPOCH_SEC + 0.5, http: { request: { method: 'GET', url: 'http://productpage/' }, response: { status: 200 } }, annotations: { env: 'prod' } }),
        segmentJson({ trace_id: failing, id: hexId(2), name: 'gateway', start_time: EPOCH_SEC + 100, end_time: EPOCH_SEC + 102, fault: true, http: { response: { status: 500 } }, annotations: { env: 'dev', retries: 3 } }),
        segmentJson({ trace_id: failing, id: hexId(3), parent_id: hexId(2), type: 'subsegment', name: 'details', start_time: EPOCH_SEC + 100.5, end_time: EPOCH_SEC + 101 }),
        segmentJson({ trace_id: throttled, id: hexId(4), name: 'reviews', start_time: EPOCH_SEC + 10, end_time: EPOCH_SEC + 10.1, error: true, throttle: true, http: { response: { status: 429 } } }),
        segmentJson({ trace_id: later, id: hexId(5), name: 'details', start_time: EPOCH_SEC + 5000, end_time: EPOCH_SEC + 5000.1 }),
        segmentJson({ trace_id: lateEvent, id: hexId(6), name: 'ratings', start_time: EPOCH_SEC + 50, end_time: EPOCH_SEC + 50.2 }),
      ],
    }));
  });
  after(() => h.close());

  const ids = async (filter?: string, range: [number, number] = [EPOCH_SEC - 1, EPOCH_SEC + 200], TimeRangeType?: 'TraceId' | 'Event') => {
    const result = await h.client.send(new GetTraceSummariesCommand({
      StartTime: at(range[0]),
      EndTime: at(range[1]),
      ...(filter === undefined ? {} : { FilterExpression: filter }),
      ...(TimeRangeType === undefined ? {} : { TimeRangeType }),
    }));
    return (result.TraceSummaries ?? []).map((s) => s.Id);
  };

  test('selects by the trace id epoch by default, newest first', async () => {
    assert.deepEqual(await ids(), [failing, throttled, ok]);
    assert.deepEqual(await ids(undefined, [EPOCH_SEC + 4000, EPOCH_SEC + 6000]), [later]);
  });

  test('TimeRangeType Event selects by segment times', async () => {
    assert.deepEqual(await ids(undefined, [EPOCH_SEC + 40, EPOCH_SEC + 60], 'Event'), [lateEvent]);
    assert.deepEqual(await ids(undefined, [EPOCH_SEC + 40, EPOCH_SEC + 60]), []);
  });

  test('summarizes a trace: times, flags, http, annotations, services', async () => {
    const result = await h.client.send(new GetTraceSummariesCommand({ StartTime: at(EPOCH_SEC + 99), EndTime: at(EPOCH_SEC + 101) }));
    const summary = result.TraceSummaries?.[0];
    assert.equal(summary?.Id, failing);
    assert.deepEqual(summary?.StartTime, at(EPOCH_SEC + 100));
    assert.equal(summary?.Duration, 2);
    assert.equal(summary?.ResponseTime, 2);
    assert.equal(summary?.HasFault, true);
    assert.equal(summary?.HasError, false);
    assert.equal(summary?.IsPartial, false);
    assert.deepEqual(summary?.Http, { HttpStatus: 500 });
    assert.deepEqual(summary?.EntryPoint, { Name: 'gateway', Names: ['gateway'], Type: 'service' });
    assert.deepEqual(summary?.Annotations?.['retries'], [{ AnnotationValue: { NumberValue: 3 }, ServiceIds: [{ Name: 'gateway', Names: ['gateway'], Type: 'service' }] }]);
    assert.equal(result.TracesProcessedCount, 1);
  });

  test('filters: service, http.status, fault, error, throttle, ok, duration, annotation, AND, !', async () => {
    assert.deepEqual(await ids('service("gateway")'), [failing]);
    assert.deepEqual(await ids('http.status = 500'), [failing]);
    assert.deepEqual(await ids('http.status >= 400'), [failing, throttled]);
    assert.deepEqual(await ids('fault'), [failing]);
    assert.deepEqual(await ids('error'), [throttled]);
    assert.deepEqual(await ids('throttle'), [throttled]);
    assert.deepEqual(await ids('ok'), [ok]);
    assert.deepEqual(await ids('!fault'), [throttled, ok]);
    assert.deepEqual(await ids('duration >= 1'), [failing]);
    assert.deepEqual(await ids('responsetime < 0.2'), [throttled]);
    assert.deepEqual(await ids('annotation.env = "prod"'), [ok]);
    assert.deepEqual(await ids('annotation[retries] >= 3 AND fault'), [failing]);
    assert.deepEqual(await ids('service("gateway") AND http.status = 200'), []);
    assert.deepEqual(await ids('http.url CONTAINS "productpage" && http.method = "GET"'), [ok]);
  });

  test('unsupported or malformed expressions are InvalidRequestException naming the problem', async () => {
    for (const [expression, pattern] of [
      ['fault OR error', /OR is not supported/],
      ['foo = 1', /unknown keyword "foo"/],
      ['http.status = "x"', /expected a number/],
      ['service("a"', /expected service\("name"\)/],
    ] as const) {
      await assert.rejects(ids(expression), (error: unknown) => {
        assert.ok(error instanceof InvalidRequestException, expression);
        assert.match(error.message, pattern);
        assert.match(error.message, /xray-local supports/);
        return true;
      });
    }
  });

  test('EndTime before StartTime is InvalidRequestException', async () => {
    await assert.rejects(ids(undefined, [EPOCH_SEC + 10, EPOCH_SEC]), InvalidRequestException);
  });
});

describe('GetTraceSummaries pagination', () => {
  test('pages of 100 with NextToken', async () => {
    const h = await startXRayLocal({ nowMs: () => NOW_MS });
    try {
      for (let call = 0; call < 3; call += 1) {
        const docs = Array.from({ length: 40 }, (_, i) => segmentJson({ trace_id: traceId(call * 40 + i + 1), id: hexId(1) }));
        await h.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs }));
      }
      const range = { StartTime: at(EPOCH_SEC - 1), EndTime: at(EPOCH_SEC + 1) };
      const first = await h.client.send(new GetTraceSummariesCommand(range));
      assert.equal(first.TraceSummaries?.length, 100);
      assert.ok(first.NextToken);
      const second = await h.client.send(new GetTraceSummariesCommand({ ...range, NextToken: first.NextToken }));
      assert.equal(second.TraceSummaries?.length, 20);
      assert.equal(second.NextToken, undefined);
      const all = new Set([...(first.TraceSummaries ?? []), ...(second.TraceSummaries ?? [])].map((s) => s.Id));
      assert.equal(all.size, 120);
    } finally {
      await h.close();
    }
  });

  test('traces stored between two pages neither repeat a trace on the next page nor push one off it (found by review: 10 repeated)', async () => {
    const h = await startXRayLocal({ nowMs: () => NOW_MS });
    try {
      const put = async (from: number, count: number, startSec: number) => {
        for (let done = 0; done < count; done += 50) {
          await h.client.send(new PutTraceSegmentsCommand({
            TraceSegmentDocuments: Array.from({ length: Math.min(50, count - done) }, (_, k) => {
              const i = done + k;
              return segmentJson({ trace_id: traceId(from + i, EPOCH_SEC), id: hexId(1), start_time: startSec + i, end_time: startSec + i + 0.5 });
            }),
          }));
        }
      };
      await put(1, 150, EPOCH_SEC);
      const range = { StartTime: at(EPOCH_SEC - 1), EndTime: at(EPOCH_SEC + 1000), TimeRangeType: 'Event' as const };
      const first = await h.client.send(new GetTraceSummariesCommand(range));
      assert.equal(first.TraceSummaries?.length, 100);
      await put(1000, 10, EPOCH_SEC + 500); // newer than every listed trace
      const second = await h.client.send(new GetTraceSummariesCommand({ ...range, NextToken: first.NextToken }));
      const ids = [...(first.TraceSummaries ?? []), ...(second.TraceSummaries ?? [])].map((s) => s.Id);
      assert.equal(new Set(ids).size, ids.length, 'no trace on both pages');
      assert.equal(second.TraceSummaries?.length, 50, 'the 50 older traces, each once');
      assert.equal(second.NextToken, undefined);
      await assert.rejects(h.client.send(new GetTraceSummariesCommand({ ...range, NextToken: Buffer.from('{"offset":5}').toString('base64') })), InvalidRequestException);
    } finally {
      await h.close();
    }
  });
});
