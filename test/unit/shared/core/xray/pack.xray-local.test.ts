/**
 * Packing changes how many documents carry a trace, not what X-Ray makes of them: the same simulator traffic,
 * packed into one xray-local and unpacked into another (through the real AWS SDK), gives the same service
 * graph, trace summaries, trace graphs and console timelines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetTracesCommand, GetServiceGraphCommand, GetTraceGraphCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand, type XRayClient } from '@aws-sdk/client-xray';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import { documentsAsIs, packDocuments } from '../../../../../shared/core/xray/pack.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import { buildTimeline } from '../../../../../services/xray-local/console/src/timeline-rows.ts';
import { createPrng, generateRequest, DEFAULT_GENERATE_OPTIONS, FLAVOURS } from '../../../../../services/simulator/index.ts';
import { startXRayLocal } from '../../../../support/xray-local.ts';

const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);

/** `value` with every array sorted: xray-local lists a summary's services in the order their documents arrived. */
function unordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unordered).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unordered(v)]));
  }
  return value;
}

async function put(client: XRayClient, documents: readonly string[]): Promise<void> {
  for (let i = 0; i < documents.length; i += 50) {
    const out = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents.slice(i, i + 50) }));
    assert.deepEqual(out.UnprocessedTraceSegments ?? [], []);
  }
}

/** What the console and the X-Ray API show of the traffic in `client`'s xray-local. */
async function viewOf(client: XRayClient) {
  const range = { StartTime: new Date(NOW_MS - 60_000), EndTime: new Date(NOW_MS + 60_000) };
  const graph = await client.send(new GetServiceGraphCommand(range));
  const summaries = await client.send(new GetTraceSummariesCommand({ ...range, TimeRangeType: 'TraceId' }));
  assert.equal(summaries.NextToken, undefined);
  const ids = (summaries.TraceSummaries ?? []).map((s) => s.Id ?? '').sort();
  const traceGraphs = [];
  const timelines = [];
  for (const id of ids) {
    const tg = await client.send(new GetTraceGraphCommand({ TraceIds: [id] }));
    traceGraphs.push({ id, services: [...(tg.Services ?? [])].sort((a, b) => (a.ReferenceId ?? 0) - (b.ReferenceId ?? 0)) });
    const traces = await client.send(new BatchGetTracesCommand({ TraceIds: [id] }));
    const docs = (traces.Traces?.[0]?.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}') as SegmentDocument);
    timelines.push(buildTimeline(docs).rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, depth: r.depth, start: r.startSec, end: r.endSec, missing: r.missingParentId })));
  }
  // Revision counts the documents that built the trace: fewer when packed, by design.
  const summaryList = unordered((summaries.TraceSummaries ?? []).map(({ Revision: _revision, ...rest }) => rest));
  const services = [...(graph.Services ?? [])].sort((a, b) => (a.ReferenceId ?? 0) - (b.ReferenceId ?? 0));
  return { services, summaries: summaryList, traceGraphs, timelines, documents: ids.length };
}

test('packed and unpacked documents of every simulator flavour give the same graph, summaries, trace graphs and timelines', async () => {
  // xray-local on the test's clock: on the wall clock it refused these trace ids (dated NOW_MS) once they were
  // 30 days old, from 2026-12-29 (found by an audit of clock-dependent tests).
  const packedLocal = await startXRayLocal({ nowMs: () => NOW_MS });
  const unpackedLocal = await startXRayLocal({ nowMs: () => NOW_MS });
  try {
    const prng = createPrng(21);
    const spans = [];
    for (const flavour of FLAVOURS) {
      for (let i = 0; i < 6; i += 1) {
        const request = generateRequest(prng, (NOW_MS - 2000 + i * 50) * 1000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, errorRate: 0.3, faultRate: 0.2 });
        spans.push(...request.spans.map((s) => s.span));
      }
    }
    const out = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: NOW_MS, epochs: new MemoryEpochStore() });
    assert.deepEqual(out.rejected, []);
    const packed = packDocuments(out.documents, DEFAULT_TRANSLATOR_CONFIG.maxDocumentBytes).documents;
    const unpacked = documentsAsIs(out.documents);
    assert.ok(packed.length < 0.7 * unpacked.length, `${packed.length} packed vs ${unpacked.length} documents`);
    await put(packedLocal.client, packed.map((d) => d.json));
    await put(unpackedLocal.client, unpacked.map((d) => d.json));
    const [a, b] = [await viewOf(packedLocal.client), await viewOf(unpackedLocal.client)];
    assert.equal(a.documents, 24, 'every trace is listed');
    assert.ok(a.services.length >= 5);
    assert.deepEqual(a.services, b.services, 'service graph');
    assert.deepEqual(a.summaries, b.summaries, 'trace list');
    assert.deepEqual(a.traceGraphs, b.traceGraphs, 'trace graphs');
    assert.deepEqual(a.timelines, b.timelines, 'timelines');
  } finally {
    await packedLocal.close();
    await unpackedLocal.close();
  }
});
