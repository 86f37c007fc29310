import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetServiceGraphCommand, GetTraceGraphCommand, PutTraceSegmentsCommand, type Service } from '@aws-sdk/client-xray';
import { type XRayLocal as Harness, startXRayLocal } from '../../../../support/xray-local.ts';
import { EPOCH_SEC, hexId, traceId, NOW_MS } from '../segment-docs.ts';

const at = (sec: number) => new Date(sec * 1000);

/**
 * gateway → productpage → details (+ productpage → reviews, whose segment never arrives).
 * gateway's call is an independent subsegment; productpage's calls are embedded subsegments.
 */
function bookinfoTrace(n: number, options: { detailsError: boolean; reviewsFault: boolean }): string[] {
  const t = traceId(n);
  const base = EPOCH_SEC + n * 10;
  const id = (k: number) => hexId(n * 100 + k);
  return [
    { name: 'gateway', id: id(1), trace_id: t, start_time: base, end_time: base + 1 },
    { type: 'subsegment', name: 'productpage', namespace: 'remote', id: id(2), parent_id: id(1), trace_id: t, start_time: base + 0.1, end_time: base + 0.9 },
    {
      name: 'productpage', id: id(3), parent_id: id(2), trace_id: t, start_time: base + 0.15, end_time: base + 0.85,
      subsegments: [
        { name: 'details', namespace: 'remote', id: id(4), start_time: base + 0.2, end_time: base + 0.4, ...(options.detailsError ? { error: true } : {}) },
        { name: 'reviews', namespace: 'remote', id: id(5), start_time: base + 0.4, end_time: base + 0.8, ...(options.reviewsFault ? { fault: true } : {}) },
      ],
    },
    { name: 'details', id: id(6), parent_id: id(4), trace_id: t, start_time: base + 0.25, end_time: base + 0.35, ...(options.detailsError ? { error: true, http: { response: { status: 404 } } } : {}) },
  ].map((doc) => JSON.stringify(doc));
}

const byName = (services: Service[] | undefined) => new Map((services ?? []).map((s) => [s.Name, s]));

describe('GetServiceGraph / GetTraceGraph', () => {
  let h: Harness;
  before(async () => {
    h = await startXRayLocal({ nowMs: () => NOW_MS });
    const put = await h.client.send(new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [...bookinfoTrace(1, { detailsError: true, reviewsFault: true }), ...bookinfoTrace(2, { detailsError: false, reviewsFault: false })],
    }));
    assert.deepEqual(put.UnprocessedTraceSegments, []);
  });
  after(() => h.close());

  test('builds nodes per service and edges through remote subsegments, with counts', async () => {
    const graph = await h.client.send(new GetServiceGraphCommand({ StartTime: at(EPOCH_SEC), EndTime: at(EPOCH_SEC + 60) }));
    const services = byName(graph.Services);
    assert.deepEqual([...services.keys()], ['details', 'gateway', 'productpage', 'reviews']);
    const ref = (name: string) => services.get(name)?.ReferenceId;
    assert.deepEqual([...services.values()].map((s) => [s.Name, s.Type, s.Root]), [
      ['details', 'service', false],
      ['gateway', 'service', true],
      ['productpage', 'service', false],
      ['reviews', 'remote', false],
    ]);

    const gateway = services.get('gateway');
    assert.deepEqual(gateway?.Edges?.map((e) => e.ReferenceId), [ref('productpage')]);
    assert.equal(gateway?.Edges?.[0]?.SummaryStatistics?.TotalCount, 2);
    assert.equal(gateway?.Edges?.[0]?.SummaryStatistics?.OkCount, 2);
    assert.ok(Math.abs((gateway?.Edges?.[0]?.SummaryStatistics?.TotalResponseTime ?? 0) - 1.6) < 1e-5);
    assert.deepEqual(gateway?.SummaryStatistics?.TotalCount, 2);
    assert.deepEqual(gateway?.ResponseTimeHistogram, [{ Value: 1, Count: 2 }]);
    assert.deepEqual(gateway?.StartTime, at(EPOCH_SEC + 10));
    assert.deepEqual(gateway?.EndTime, at(EPOCH_SEC + 21));

    const productpage = services.get('productpage');
    const edges = new Map(productpage?.Edges?.map((e) => [e.ReferenceId, e.SummaryStatistics]));
    assert.deepEqual(edges.get(ref('details')), {
      OkCount: 1,
      ErrorStatistics: { ThrottleCount: 0, OtherCount: 1, TotalCount: 1 },
      FaultStatistics: { OtherCount: 0, TotalCount: 0 },
      TotalCount: 2,
      TotalResponseTime: edges.get(ref('details'))?.TotalResponseTime,
    });
    assert.equal(edges.get(ref('reviews'))?.FaultStatistics?.TotalCount, 1);
    assert.equal(edges.get(ref('reviews'))?.TotalCount, 2);

    const details = services.get('details');
    assert.equal(details?.SummaryStatistics?.TotalCount, 2);
    assert.equal(details?.SummaryStatistics?.ErrorStatistics?.OtherCount, 1);
    assert.deepEqual(details?.Edges, []);
    assert.equal(services.get('reviews')?.SummaryStatistics?.FaultStatistics?.TotalCount, 1);
  });

  test('only documents overlapping the window count', async () => {
    const first = await h.client.send(new GetServiceGraphCommand({ StartTime: at(EPOCH_SEC + 9), EndTime: at(EPOCH_SEC + 12) }));
    assert.equal(byName(first.Services).get('gateway')?.SummaryStatistics?.TotalCount, 1);
    const none = await h.client.send(new GetServiceGraphCommand({ StartTime: at(EPOCH_SEC + 1000), EndTime: at(EPOCH_SEC + 2000) }));
    assert.deepEqual(none.Services, []);
  });

  test('GetTraceGraph gives the graph of the given traces only', async () => {
    const graph = await h.client.send(new GetTraceGraphCommand({ TraceIds: [traceId(1), traceId(99)] }));
    const services = byName(graph.Services);
    assert.equal(services.size, 4);
    assert.equal(services.get('details')?.SummaryStatistics?.ErrorStatistics?.TotalCount, 1);
    assert.equal(services.get('gateway')?.Edges?.[0]?.SummaryStatistics?.TotalCount, 1);
  });
});
