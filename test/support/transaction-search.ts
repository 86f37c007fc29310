/**
 * Reading spans back the way Transaction Search is read, through the real AWS SDK: StartTraceRetrieval
 * (≤ 100 trace ids a call) → ListRetrievedTraces (TraceFormat OTEL, paged by NextToken) and
 * GetRetrievedTracesGraph. Used by the OTLP path's e2e and unit tests.
 */
import {
  GetRetrievedTracesGraphCommand, ListRetrievedTracesCommand, StartTraceRetrievalCommand, type Service, type XRayClient,
} from '@aws-sdk/client-xray';
import type { Span } from '../../shared/core/zipkin/span.ts';

export interface RetrievedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly kind: number;
  readonly name: string;
  readonly attributes: readonly { readonly key: string; readonly value: Record<string, unknown> }[];
  readonly status?: { readonly code?: number };
  readonly resource: { readonly attributes: readonly { readonly key: string; readonly value: Record<string, unknown> }[] };
}

/** The 32-hex W3C trace id a Zipkin trace id becomes on the OTLP path (a 64-bit id is zero-padded). */
export const w3cTraceIdOf = (zipkinTraceId: string): string => zipkinTraceId.padStart(32, '0');

async function retrievals(client: XRayClient, traceIds: readonly string[], window: { StartTime: Date; EndTime: Date }): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < traceIds.length; i += 100) {
    const { RetrievalToken } = await client.send(new StartTraceRetrievalCommand({ TraceIds: traceIds.slice(i, i + 100), ...window }));
    if (RetrievalToken === undefined) throw new Error('StartTraceRetrieval gave no RetrievalToken');
    tokens.push(RetrievalToken);
  }
  return tokens;
}

/** Every span of `traceIds` (W3C or X-Ray form) in `window`, as ListRetrievedTraces (OTEL) returns it. */
export async function retrieveSpans(client: XRayClient, traceIds: readonly string[], window: { StartTime: Date; EndTime: Date }): Promise<RetrievedSpan[]> {
  const out: RetrievedSpan[] = [];
  for (const token of await retrievals(client, traceIds, window)) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListRetrievedTracesCommand({ RetrievalToken: token, TraceFormat: 'OTEL', ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }));
      if (page.RetrievalStatus !== 'COMPLETE') throw new Error(`ListRetrievedTraces: ${page.RetrievalStatus}`);
      for (const trace of page.Traces ?? []) for (const s of trace.Spans ?? []) out.push(JSON.parse(s.Document ?? '{}') as RetrievedSpan);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }
  return out;
}

/** GetRetrievedTracesGraph's services over `traceIds` (one retrieval, so ≤ 100 ids). */
export async function retrievedGraph(client: XRayClient, traceIds: readonly string[], window: { StartTime: Date; EndTime: Date }): Promise<Service[]> {
  if (traceIds.length > 100) throw new Error('one retrieval holds at most 100 trace ids');
  const [token] = await retrievals(client, traceIds, window);
  const graph = await client.send(new GetRetrievedTracesGraphCommand({ RetrievalToken: token }));
  return (graph.Services ?? []).flatMap((s) => (s.Service ? [s.Service] : []));
}

/** Service names (with type) and the names their edges lead to: what a service map shows. */
export function mapOf(services: readonly Service[] | undefined): string[] {
  const names = new Map((services ?? []).map((s) => [s.ReferenceId, s.Name]));
  return (services ?? []).map((s) => `${s.Name}[${s.Type}] -> ${(s.Edges ?? []).map((e) => names.get(e.ReferenceId)).sort().join(',')}`).sort();
}

/**
 * `traceId:zipkinSpanId` of each retrieved span that stands for a Zipkin span (a SERVER span sharing its
 * CLIENT's id says its Zipkin id in `meshray.zipkin_span_id`; the caller put in front of a root waypoint
 * span stands for none), counted: compare with `zipkinKeysOf(spans)` for "every span exactly once".
 */
export function retrievedZipkinKeys(spans: readonly RetrievedSpan[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of spans) {
    if (s.attributes.some((a) => a.key === 'meshray.caller_of_zipkin_span_id')) continue;
    const zipkinId = s.attributes.find((a) => a.key === 'meshray.zipkin_span_id')?.value['stringValue'];
    const key = `${s.traceId}:${typeof zipkinId === 'string' ? zipkinId : s.spanId}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function zipkinKeysOf(spans: readonly Span[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of spans) {
    const key = `${w3cTraceIdOf(s.traceId)}:${s.id}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
