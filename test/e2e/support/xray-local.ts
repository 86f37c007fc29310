/**
 * xray-local in the test process (`buildApp` from services/xray-local), so a test can share one store
 * between listeners, swap the throttle by rebuilding the app on the same port, delay answers and count
 * what each listener received. Queries go through the real @aws-sdk/client-xray.
 */
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../shared/log/index.ts';
import { buildApp, SegmentStore } from '../../../services/xray-local/index.ts';
import { sleep } from './wait.ts';

export interface XRayLocalOptions {
  /** Port to listen on (0 or absent: any free one). */
  readonly port?: number;
  /** Emulated throttle in documents per second (0/absent: off). */
  readonly throttleSegmentsPerSecond?: number;
  /** Serve this store (to share it between listeners or across a rebuild). */
  readonly store?: SegmentStore;
  /** Delay of each PutTraceSegments answer, applied AFTER the documents were stored (0/absent: none). */
  readonly putResponseDelayMs?: () => number;
}

export interface XRayLocal {
  readonly app: FastifyInstance;
  readonly store: SegmentStore;
  readonly port: number;
  readonly endpoint: string;
  /** PutTraceSegments calls received and not yet answered. */
  inFlightPuts(): number;
  /** Documents received per segment id (counted on arrival, whether accepted or not). */
  readonly received: Map<string, number>;
  close(): Promise<void>;
}

export async function startXRayLocal(options: XRayLocalOptions = {}): Promise<XRayLocal> {
  const store = options.store ?? new SegmentStore({ maxSegments: 200_000 });
  const app = buildApp({
    logger: silentLogger(),
    registry: new Registry(),
    maxSegments: 200_000,
    store,
    throttleSegmentsPerSecond: options.throttleSegmentsPerSecond ?? 0,
  });
  let inFlight = 0;
  const received = new Map<string, number>();
  app.addHook('preHandler', async (req) => {
    if (req.url !== '/TraceSegments') return;
    inFlight += 1;
    const docs = (req.body as { TraceSegmentDocuments?: unknown } | undefined)?.TraceSegmentDocuments;
    if (!Array.isArray(docs)) return;
    for (const d of docs) {
      const id = typeof d === 'string' ? idOf(d) : undefined;
      if (id !== undefined) received.set(id, (received.get(id) ?? 0) + 1);
    }
  });
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.url !== '/TraceSegments') return payload;
    const delay = options.putResponseDelayMs?.() ?? 0;
    if (delay > 0) await sleep(delay);
    return payload;
  });
  app.addHook('onResponse', async (req) => {
    if (req.url === '/TraceSegments') inFlight -= 1;
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    app,
    store,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    inFlightPuts: () => inFlight,
    received,
    close: async () => {
      // an answer still being delayed must not hold the close: drop open connections
      app.server.closeAllConnections?.();
      await app.close();
    },
  };
}

/** Segment ids held by `store` (any trace). */
export function storedIds(store: SegmentStore): Set<string> {
  const ids = new Set<string>();
  for (const trace of store.traces()) for (const id of trace.segments.keys()) ids.add(id);
  return ids;
}

function idOf(document: string): string | undefined {
  try {
    const id = (JSON.parse(document) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function xrayClient(endpoint: string): XRayClient {
  return new XRayClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
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
  return batchGetDocuments(client, traceIds);
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
