/**
 * The one xray-local test harness for every suite: xray-local's `buildApp` in the test process on
 * 127.0.0.1 (port 0 unless given), with the real @aws-sdk/client-xray pointed at it. A test can share one
 * store between listeners, rebuild the app on the same port (to swap the throttle), delay answers, add its
 * own hooks, and count what each listener received.
 */
import type { AddressInfo } from 'node:net';
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../shared/edge/log/index.ts';
import { createRegistry, type Registry } from '../../shared/edge/metrics/registry.ts';
import { buildApp, SegmentStore, type XRayLocalDeps } from '../../services/xray-local/index.ts';
import { sleep } from './wait.ts';

export interface XRayLocalOptions extends Partial<Omit<XRayLocalDeps, 'logger' | 'registry'>> {
  /** Port to listen on (0 or absent: any free one). */
  readonly port?: number;
  /** Delay of each PutTraceSegments answer, applied AFTER the documents were stored (0/absent: none). */
  readonly putResponseDelayMs?: () => number;
  /** Adds the test's own hooks before the app listens. */
  readonly configure?: (app: FastifyInstance) => void;
}

export interface XRayLocal {
  readonly app: FastifyInstance;
  readonly store: SegmentStore;
  readonly registry: Registry;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The real SDK client on `endpoint`, without retries (`maxAttempts: 1`). */
  readonly client: XRayClient;
  /** PutTraceSegments calls received and not yet answered. */
  inFlightPuts(): number;
  /**
   * Times each segment or subsegment id was received (counted on arrival, whether accepted or not), nested
   * subsegments (PACKING=on) included: each is one delivered span.
   */
  readonly received: Map<string, number>;
  close(): Promise<void>;
}

export async function startXRayLocal(options: XRayLocalOptions = {}): Promise<XRayLocal> {
  const { port: wantedPort, putResponseDelayMs, configure, ...overrides } = options;
  const maxSegments = overrides.maxSegments ?? 200_000;
  const store = overrides.store ?? new SegmentStore({ maxSegments });
  const registry = createRegistry();
  const app = buildApp({ logger: silentLogger(), registry, ...overrides, maxSegments, store });
  let inFlight = 0;
  const received = new Map<string, number>();
  app.addHook('preHandler', async (req) => {
    if (req.url !== '/TraceSegments') return;
    inFlight += 1;
    const docs = (req.body as { TraceSegmentDocuments?: unknown } | undefined)?.TraceSegmentDocuments;
    if (!Array.isArray(docs)) return;
    for (const d of docs) {
      for (const id of typeof d === 'string' ? idsOf(d) : []) received.set(id, (received.get(id) ?? 0) + 1);
    }
  });
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.url !== '/TraceSegments') return payload;
    const delayMs = putResponseDelayMs?.() ?? 0;
    if (delayMs > 0) await sleep(delayMs); // fault injection (a slow X-Ray), not synchronisation
    return payload;
  });
  app.addHook('onResponse', async (req) => {
    if (req.url === '/TraceSegments') inFlight -= 1;
  });
  configure?.(app);
  await app.listen({ host: '127.0.0.1', port: wantedPort ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = xrayClient(endpoint, { maxAttempts: 1 });
  return {
    app,
    store,
    registry,
    port,
    endpoint,
    client,
    inFlightPuts: () => inFlight,
    received,
    close: async () => {
      client.destroy();
      // an answer still being delayed must not hold the close: drop open connections
      app.server.closeAllConnections?.();
      await app.close();
    },
  };
}

/** An SDK client for an xray-local at `endpoint` (dummy credentials, us-east-1). */
export function xrayClient(endpoint: string, options: { maxAttempts?: number } = {}): XRayClient {
  return new XRayClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...options });
}

/** Segment and subsegment ids held by `store` (any trace), subsegments nested in a document included. */
export function storedIds(store: SegmentStore): Set<string> {
  const ids = new Set<string>();
  for (const trace of store.traces()) for (const s of trace.segments.values()) for (const id of nestedIdsOf(s.parsed)) ids.add(id);
  return ids;
}

/**
 * Segments and subsegments held by `store`: each document counts once plus once per subsegment nested in
 * it (its `subsegments` array, recursively). With PACKING=on a document carries a service hop, so this,
 * not `store.segmentCount`, is what compares to the number of unpacked documents (spans) expected.
 */
export function storedEntityCount(store: SegmentStore): number {
  let count = 0;
  for (const trace of store.traces()) for (const s of trace.segments.values()) count += nestedIdsOf(s.parsed).length;
  return count;
}

interface Nested { readonly id?: unknown; readonly subsegments?: unknown }

/** A document's id and the ids of the subsegments nested in it, recursively (depth first). */
export function nestedIdsOf(document: Nested): string[] {
  const ids: string[] = [];
  const visit = (doc: Nested): void => {
    if (typeof doc.id === 'string') ids.push(doc.id);
    if (Array.isArray(doc.subsegments)) for (const sub of doc.subsegments) if (typeof sub === 'object' && sub !== null) visit(sub as Nested);
  };
  visit(document);
  return ids;
}

/**
 * The stored documents with every nested subsegment as an entry of its own (its id, the outer document's
 * trace id and document string): what ledgers compare to the unpacked translation of the spans sent.
 */
export function expandNested(stored: readonly StoredDocument[]): StoredDocument[] {
  return stored.flatMap((d) => nestedIdsOf(JSON.parse(d.document) as Nested).map((id) => ({ traceId: d.traceId, id, document: d.document })));
}

function idsOf(document: string): string[] {
  try {
    return nestedIdsOf(JSON.parse(document) as Nested);
  } catch {
    return [];
  }
}

export interface StoredDocument {
  /** The X-Ray trace id BatchGetTraces filed it under. */
  readonly traceId: string;
  readonly id: string;
  /** The exact document string xray-local stored. */
  readonly document: string;
}

/**
 * Every document of every trace whose trace-id epoch lies in [start, end], through the SDK:
 * GetTraceSummaries (TimeRangeType TraceId) paged by NextToken, then BatchGetTraces 5 ids at a time.
 */
export async function readAllDocuments(client: XRayClient, start: Date, end: Date): Promise<StoredDocument[]> {
  const traceIds: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetTraceSummariesCommand({
      StartTime: start, EndTime: end, TimeRangeType: 'TraceId', ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    }));
    for (const s of page.TraceSummaries ?? []) if (s.Id !== undefined) traceIds.push(s.Id);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  // Pages are offsets into a list sorted by start time, as X-Ray's are no snapshot: a trace whose start moves
  // while documents still land (spans posted without a 202 may arrive late) can be listed on two pages.
  return batchGetDocuments(client, [...new Set(traceIds)]);
}

/**
 * Every document xray-local holds that a translator can have written now: trace-id epochs from 29 days ago
 * (X-Ray's 30-day limit) to an hour ahead. A narrower window could miss traces at random: with EPOCH_POLICY=auto
 * a 128-bit Zipkin id whose first 8 hex digits read as an epoch second up to an hour before its first span
 * keeps them (shared/core/xray/trace-id.ts proposeXrayTraceId), about 1 random id in 1.1 million.
 */
export function readEveryDocument(client: XRayClient): Promise<StoredDocument[]> {
  return readAllDocuments(client, new Date(Date.now() - 29 * 86_400_000), new Date(Date.now() + 3_600_000));
}

/** The documents of `traceIds` through BatchGetTraces, 5 ids per call; throws on unprocessed ids. */
export async function batchGetDocuments(client: XRayClient, traceIds: readonly string[]): Promise<StoredDocument[]> {
  const out: StoredDocument[] = [];
  for (let i = 0; i < traceIds.length; i += 5) {
    const chunk = traceIds.slice(i, i + 5);
    const got = await client.send(new BatchGetTracesCommand({ TraceIds: chunk }));
    if ((got.UnprocessedTraceIds ?? []).length > 0) throw new Error(`BatchGetTraces left ${got.UnprocessedTraceIds?.join(', ')} unprocessed`);
    for (const trace of got.Traces ?? []) {
      for (const segment of trace.Segments ?? []) {
        out.push({ traceId: trace.Id ?? '', id: segment.Id ?? '', document: segment.Document ?? '' });
      }
    }
  }
  return out;
}

/** The value of one counter sample from the registry (0 when absent). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return sample?.value ?? 0;
}
