// Fuzzing xray-local's API (issue 10 §5): random PutTraceSegments documents and filter expressions, and
// random bodies for the other operations, through the real fastify app (inject). Every answer is 200
// or a 4xx X-Ray error (x-amzn-errortype), never a 5xx, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildApp } from '../../../../../services/xray-local/app.ts';
import { EPOCH_SEC, NOW_MS, hexId, segmentDoc, traceId } from '../segment-docs.ts';

const FILTER_TOKENS = [
  'service(', 'service("productpage")', 'edge(', '"productpage"', '"reviews", "ratings"', ')', '{', '}', ',', 'id(', 'name:', 'type:',
  'responsetime', 'duration', 'http.status', 'http.url', 'http.method', 'http.useragent', 'http.clientip', 'annotation.env', 'annotation.a.b',
  'fault', 'error', 'throttle', 'ok', 'partial', 'rootcause.fault.service', 'group.name', 'AND', 'and', 'OR', 'NOT', '!', '(', '"',
  '=', '!=', '<', '<=', '>', '>=', 'CONTAINS', 'BEGINSWITH', 'ENDSWITH', 'IN', 'true', 'false', '5', '-1', '1.5', '3.5e9', '1e400',
  '"http://a"', "'x'", '\\', '"unterminated', '@', '#', '*', '999999999999999999999',
];
const filterArb = fc.oneof(
  fc.array(fc.constantFrom(...FILTER_TOKENS), { maxLength: 12 }).chain((tokens) => fc.constantFrom(' ', '').map((sep) => tokens.join(sep))),
  fc.string({ maxLength: 60 }),
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });
/** A segment document near the valid one: fields replaced by random values, dropped, or added. */
const documentArb = fc.oneof(
  fc.record({
    name: fc.oneof(fc.constant('productpage'), fc.string({ maxLength: 300 }), jsonValue),
    id: fc.oneof(fc.constant(hexId(7)), fc.string({ maxLength: 20 }), jsonValue),
    trace_id: fc.oneof(fc.constant(traceId(7)), fc.string({ maxLength: 40 }), jsonValue,
      fc.nat(0xffffffff).map((e) => traceId(3, e))),
    start_time: fc.oneof(fc.constant(EPOCH_SEC + 1), fc.double({ noNaN: true }), jsonValue),
    end_time: fc.oneof(fc.constant(EPOCH_SEC + 2), fc.double({ noNaN: true }), jsonValue),
    in_progress: fc.oneof(fc.boolean(), jsonValue),
    parent_id: fc.oneof(fc.constant(hexId(1)), jsonValue),
    type: fc.oneof(fc.constant('subsegment'), jsonValue),
    http: fc.oneof(fc.constant({ request: { method: 'GET', url: 'http://x/' }, response: { status: 503 } }), jsonValue),
    annotations: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), jsonValue, { maxKeys: 3 }), jsonValue),
    subsegments: fc.oneof(fc.constant([segmentDoc({ id: hexId(9), name: 'details' })]), fc.array(jsonValue, { maxLength: 3 })),
    fault: fc.oneof(fc.boolean(), jsonValue),
  }, { requiredKeys: [] }).map((fields) => JSON.stringify(segmentDoc(fields))),
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 100 }),
);

const putBodyArb = fc.oneof(
  fc.array(documentArb, { maxLength: 8 }).map((docs) => ({ TraceSegmentDocuments: docs })),
  fc.array(jsonValue, { maxLength: 3 }).map((docs) => ({ TraceSegmentDocuments: docs })),
  jsonValue,
);
const timeArb = fc.oneof(fc.integer({ min: EPOCH_SEC - 86_400, max: EPOCH_SEC + 86_400 }), jsonValue);
const summariesBodyArb = fc.record({
  StartTime: timeArb, EndTime: timeArb, FilterExpression: filterArb, Sampling: jsonValue, NextToken: fc.oneof(fc.string({ maxLength: 20 }), jsonValue),
  TimeRangeType: fc.oneof(fc.constantFrom('TraceId', 'Event', 'Service'), jsonValue),
}, { requiredKeys: ['StartTime', 'EndTime'] });
const otherBodyArb = fc.record({
  TraceIds: fc.oneof(fc.array(fc.oneof(fc.constant(traceId(1)), fc.string({ maxLength: 40 })), { maxLength: 6 }), jsonValue),
  StartTime: timeArb, EndTime: timeArb, NextToken: jsonValue, GroupName: jsonValue,
}, { requiredKeys: [] });

test('xray-local answers random API calls with 200 or a 4xx X-Ray error, never a 5xx', async () => {
  const app = buildApp({ logger: silentLogger(), registry: createRegistry(), maxSegments: 1000, nowMs: () => NOW_MS });
  await app.ready();
  try {
    // Documents in the store, so filters are evaluated against traces, not only parsed.
    const seeded = await app.inject({ method: 'POST', url: '/TraceSegments', payload: { TraceSegmentDocuments: [
      JSON.stringify(segmentDoc({ annotations: { env: 'prod' }, http: { request: { method: 'GET', url: 'http://productpage/' }, response: { status: 200 } } })),
      JSON.stringify(segmentDoc({ trace_id: traceId(2), id: hexId(2), name: 'reviews', fault: true, subsegments: [segmentDoc({ id: hexId(3), name: 'ratings', namespace: 'remote' })] })),
    ] } });
    assert.deepEqual(seeded.json(), { UnprocessedTraceSegments: [] });

    const call = fc.oneof(
      putBodyArb.map((body) => ({ url: '/TraceSegments', body })),
      summariesBodyArb.map((body) => ({ url: '/TraceSummaries', body })),
      otherBodyArb.chain((body) => fc.constantFrom('/Traces', '/ServiceGraph', '/TraceGraph').map((url) => ({ url, body }))),
      fc.string({ maxLength: 80 }).chain((raw) => fc.constantFrom('/TraceSegments', '/TraceSummaries', '/Traces').map((url) => ({ url, body: raw, raw: true }))),
    );
    await fc.assert(fc.asyncProperty(call, async ({ url, body, raw }: { url: string; body: unknown; raw?: boolean }) => {
      const res = await app.inject({
        method: 'POST', url, headers: { 'content-type': 'application/json' },
        payload: raw === true ? String(body) : JSON.stringify(body),
      });
      assert.ok(res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500), `${url} ${res.statusCode}: ${res.body.slice(0, 300)}`);
      if (res.statusCode !== 200) assert.ok(res.headers['x-amzn-errortype'], `${url}: a 4xx names its X-Ray error type`);
    }), { numRuns: 150, seed: 104 });

    // Not vacuous: a summary query with a filter that matches finds the seeded fault.
    const found = await app.inject({ method: 'POST', url: '/TraceSummaries', payload: {
      StartTime: EPOCH_SEC - 60, EndTime: EPOCH_SEC + 60, FilterExpression: 'fault',
    } });
    assert.equal(found.statusCode, 200);
    assert.equal((found.json() as { TraceSummaries: unknown[] }).TraceSummaries.length, 1);
  } finally {
    await app.close();
  }
});
