/**
 * The two paths check each other on every simulator flavour (Istio 1.7 all-CLIENT kinds, 1.7.4, modern
 * gateways, ambient waypoints), with errors and Envoy faults injected: the same generated spans go
 * (a) through the segments path (shared/core/xray → PutTraceSegments) and (b) through the OTLP path
 * (shared/core/otlp → /v1/traces → xray-local's own OTLP → segment mapping), and xray-local draws the same
 * service map from both: the same nodes, types and edges, and the same error / fault / throttle counts
 * per node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildApp } from '../../../../../services/xray-local/index.ts';
import { translateToOtlp } from '../../../../../shared/core/otlp/index.ts';
import { translateSpans } from '../../../../../shared/core/xray/translate.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/config.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { DEFAULT_GENERATE_OPTIONS, FLAVOURS, createPrng, generateRequest } from '../../../../../services/simulator/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);
const AUTH = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/us-east-1/xray/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=' + 'a'.repeat(64);

interface GraphService {
  ReferenceId: number;
  Name: string;
  Type: string;
  Edges: { ReferenceId: number }[];
  SummaryStatistics?: { ErrorStatistics?: { TotalCount?: number; ThrottleCount?: number }; FaultStatistics?: { TotalCount?: number }; TotalCount?: number };
}

function mapOf(services: readonly GraphService[]): string[] {
  const names = new Map(services.map((s) => [s.ReferenceId, s.Name]));
  return services.map((s) => {
    const st = s.SummaryStatistics;
    const counts = `total=${st?.TotalCount ?? 0} error=${st?.ErrorStatistics?.TotalCount ?? 0} throttle=${st?.ErrorStatistics?.ThrottleCount ?? 0} fault=${st?.FaultStatistics?.TotalCount ?? 0}`;
    return `${s.Name}[${s.Type}] ${counts} -> ${s.Edges.map((e) => names.get(e.ReferenceId)).sort().join(',')}`;
  }).sort();
}

interface StoredDocument { annotations?: Record<string, unknown>; subsegments?: StoredDocument[] }

/** Every annotation of every segment and subsegment the xray-local stored, as sorted `key=value` lines. */
async function annotationsOf(app: ReturnType<typeof buildApp>, window: { StartTime: number; EndTime: number }, stored: 'segments' | 'spans'): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const page = (await app.inject({ method: 'POST', url: '/TraceSummaries', payload: { ...window, TimeRangeType: 'Event', ...(next === undefined ? {} : { NextToken: next }) } }))
      .json<{ TraceSummaries: { Id: string }[]; NextToken?: string }>();
    ids.push(...page.TraceSummaries.map((t) => t.Id));
    next = page.NextToken;
  } while (next !== undefined);
  const lines: string[] = [];
  const walk = (d: StoredDocument): void => {
    for (const [k, v] of Object.entries(d.annotations ?? {})) lines.push(`${k}=${JSON.stringify(v)}`);
    for (const sub of d.subsegments ?? []) walk(sub);
  };
  for (let i = 0; i < ids.length; i += 5) {
    const TraceIds = ids.slice(i, i + 5);
    if (stored === 'segments') {
      const traces = (await app.inject({ method: 'POST', url: '/Traces', payload: { TraceIds } })).json<{ Traces: { Segments: { Document: string }[] }[] }>().Traces;
      for (const t of traces) for (const seg of t.Segments) walk(JSON.parse(seg.Document) as StoredDocument);
    } else {
      // spans live in Transaction Search: retrieved in X-Ray's format, as the console reads them
      const { RetrievalToken } = (await app.inject({ method: 'POST', url: '/StartTraceRetrieval', payload: { TraceIds, ...window } })).json<{ RetrievalToken: string }>();
      const traces = (await app.inject({ method: 'POST', url: '/ListRetrievedTraces', payload: { RetrievalToken, TraceFormat: 'XRAY' } })).json<{ Traces: { Spans: { Document: string }[] }[] }>().Traces;
      for (const t of traces) for (const span of t.Spans) walk(JSON.parse(span.Document) as StoredDocument);
    }
  }
  assert.ok(ids.length > 0, 'traces stored');
  return lines.sort();
}

/** Sends the spans down both paths into two xray-locals and returns both maps (and both paths' annotations). */
async function mapsOf(spans: readonly Span[]): Promise<{ fromSegments: string[]; fromSpans: string[]; otlpSpanCount: number; annotations: { fromSegments: string[]; fromSpans: string[] } }> {
  const segmentsApp = buildApp({ logger: silentLogger(), registry: createRegistry(), maxSegments: 100_000, nowMs: () => NOW_MS });
  const otlpApp = buildApp({ logger: silentLogger(), registry: createRegistry(), maxSegments: 100_000, nowMs: () => NOW_MS, traceSegmentDestination: 'CloudWatchLogs' });
  try {
    const docs = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: NOW_MS, epochs: new MemoryEpochStore() });
    assert.deepEqual(docs.rejected, []);
    for (let i = 0; i < docs.documents.length; i += 50) {
      const put = await segmentsApp.inject({ method: 'POST', url: '/TraceSegments', payload: { TraceSegmentDocuments: docs.documents.slice(i, i + 50).map((d) => d.json) } });
      assert.deepEqual(put.json(), { UnprocessedTraceSegments: [] });
    }
    const otlp = translateToOtlp(spans, { nowMs: NOW_MS });
    assert.deepEqual(otlp.rejected, []);
    for (const batch of otlp.batches) {
      const sent = await otlpApp.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf', authorization: AUTH }, payload: Buffer.from(batch.body) });
      assert.equal(sent.statusCode, 200, sent.body);
      assert.equal(sent.rawPayload.length, 0, 'no partial success');
    }
    const window = { StartTime: NOW_MS / 1000 - 3600, EndTime: NOW_MS / 1000 + 60 };
    const graph = async (app: typeof otlpApp) => (await app.inject({ method: 'POST', url: '/ServiceGraph', payload: window })).json<{ Services: GraphService[] }>().Services;
    return {
      fromSegments: mapOf(await graph(segmentsApp)), fromSpans: mapOf(await graph(otlpApp)), otlpSpanCount: otlp.batches.reduce((n, b) => n + b.spanIndexes.length, 0),
      annotations: { fromSegments: await annotationsOf(segmentsApp, window, 'segments'), fromSpans: await annotationsOf(otlpApp, window, 'spans') },
    };
  } finally {
    await segmentsApp.close();
    await otlpApp.close();
  }
}

describe('segments path and OTLP path draw the same map', () => {
  for (const flavour of FLAVOURS) {
    it(`simulator flavour ${flavour}, with errors and faults`, async () => {
      const prng = createPrng(7);
      const spans = Array.from({ length: 20 }, (_, i) =>
        generateRequest(prng, (NOW_MS - 60_000) * 1000 + i * 10_000, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, errorRate: 0.2, faultRate: 0.2 }).spans.map((e) => e.span),
      ).flat();
      const { fromSegments, fromSpans, annotations } = await mapsOf(spans);
      assert.ok(fromSegments.length >= 5, fromSegments.join('\n'));
      assert.deepEqual(fromSpans, fromSegments);
      // and the same annotations, so a filter such as annotation.guid_x_request_id finds a trace on both paths
      // (a newcomer trial: guid_x_request_id, request_size and response_size were missing on the OTLP path)
      assert.ok(annotations.fromSegments.some((a) => a.startsWith('guid_x_request_id=')), annotations.fromSegments.slice(0, 20).join('\n'));
      assert.deepEqual(annotations.fromSpans, annotations.fromSegments);
    });
  }

  it('ambient: a root waypoint span (the caller sent no trace context) gets its caller in front on both paths', async () => {
    const waypointTags: Record<string, string> = {
      component: 'proxy',
      node_id: 'waypoint~10.244.0.19~waypoint-5f89fbb8b5-nmdsg.bookinfo~bookinfo.svc.cluster.local',
      'http.method': 'GET',
      'http.url': 'http://details:9080/details/0',
      'http.status_code': '503',
      response_flags: 'UF',
      upstream_cluster: 'inbound-vip|9080|http|details.bookinfo.svc.cluster.local',
      'istio.canonical_service': 'waypoint',
      'istio.namespace': 'bookinfo',
      'istio.destination_canonical_service': 'details',
      'istio.destination_namespace': 'bookinfo',
      'istio.destination_workload': 'details-v1',
      'istio.source_canonical_service': 'productpage',
      'istio.source_namespace': 'bookinfo',
      'istio.source_workload': 'productpage-v1',
    };
    const root: Span = {
      traceId: '65e1c3f0a1b2c3d4e5f60718293a4b5c',
      id: '1111111111111111',
      kind: 'SERVER',
      name: 'details.bookinfo.svc.cluster.local:9080/*',
      timestampMicros: (NOW_MS - 10_000) * 1000,
      durationMicros: 1500,
      localEndpoint: { serviceName: 'waypoint.bookinfo', ipv4: '10.244.0.19' },
      annotations: [],
      tags: waypointTags,
    };
    const { fromSegments, fromSpans, otlpSpanCount } = await mapsOf([root]);
    assert.equal(otlpSpanCount, 2, 'the waypoint span and its caller');
    assert.ok(fromSegments.some((line) => line.startsWith('productpage.bookinfo[')), fromSegments.join('\n'));
    assert.deepEqual(fromSpans, fromSegments);
  });
});
