/**
 * Envoy-like Zipkin v2 traffic with current timestamps, posted to a receiver in Envoy-sized bodies, and
 * the LEDGER of every span the receiver answered 202 for. The ledger is the truth a test checks
 * xray-local against: a span answered 202 must end up in X-Ray.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans, traceKeyOf } from '../../../shared/xray/index.ts';
import { decodeJsonV2 } from '../../../shared/zipkin/index.ts';
import { sleep } from './wait.ts';

/** A span as Envoy's Zipkin v2 JSON reporter posts it. */
export interface ZipkinJsonSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind: 'CLIENT' | 'SERVER';
  name: string;
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string; ipv4: string; port: number };
  tags: Record<string, string>;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const NAMESPACE = 'default';
/** Bookinfo's call tree: caller → callees. */
const CALLS: Readonly<Record<string, readonly string[]>> = {
  productpage: ['details', 'reviews'],
  reviews: ['ratings'],
  details: [],
  ratings: [],
};

export type TraceIdWidth = '64' | '128' | 'mixed';

/**
 * One Istio (1.7-style, own span id per side) Bookinfo request: the ingress gateway's CLIENT span, then a
 * SERVER span per service and a CLIENT span per outbound call. The request lasts ~2.5 s so its spans
 * start in different seconds (a trace's first-seen span decides a rewritten epoch, so instances that see
 * different first spans would disagree without the shared store). `width`: 64-bit ids (padded, epoch
 * rewritten), 128-bit (random high bits: epoch rewritten unless plausible), or mixed (some spans carry
 * the 64-bit form of the same id, as a mesh with old and new proxies sends).
 */
export function generateTrace(width: TraceIdWidth, nowMicros = Date.now() * 1000): ZipkinJsonSpan[] {
  const low = hex(8);
  const high = Math.random() < 0.5 ? hex(4) + hex(4) : Math.floor(Date.now() / 1000).toString(16).padStart(8, '0') + hex(4);
  const traceIdFor = (): string => (width === '64' ? low : width === '128' ? high + low : Math.random() < 0.5 ? low : high + low);
  const spans: ZipkinJsonSpan[] = [];
  const start = nowMicros - 3_000_000;
  const total = 2_500_000;
  const gatewayId = hex(8);
  const requestId = `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`;
  const tagsOf = (kind: 'CLIENT' | 'SERVER', service: string): Record<string, string> => ({
    'http.method': 'GET',
    'http.url': `http://${service}:9080/${service}`,
    'http.protocol': 'HTTP/1.1',
    'http.status_code': '200',
    'guid:x-request-id': requestId,
    'response_flags': '-',
    'response_size': String(100 + Math.floor(Math.random() * 5000)),
    'request_size': '0',
    'component': 'proxy',
    'user_agent': 'curl/7.64.0',
    'upstream_cluster': kind === 'CLIENT'
      ? `outbound|9080||${service}.${NAMESPACE}.svc.cluster.local`
      : `inbound|9080|http|${service}.${NAMESPACE}.svc.cluster.local`,
  });
  spans.push({
    traceId: traceIdFor(), id: gatewayId, kind: 'CLIENT', name: `productpage.${NAMESPACE}.svc.cluster.local:9080/*`,
    timestamp: start, duration: total,
    localEndpoint: { serviceName: 'istio-ingressgateway', ipv4: '10.0.1.19', port: 0 }, tags: tagsOf('CLIENT', 'productpage'),
  });
  // depth-first: a SERVER span inside its caller's CLIENT span, each outbound CLIENT inside that SERVER
  const serve = (service: string, callerId: string, from: number, duration: number): void => {
    const serverId = hex(8);
    spans.push({
      traceId: traceIdFor(), id: serverId, parentId: callerId, kind: 'SERVER', name: `${service}.${NAMESPACE}.svc.cluster.local:9080/*`,
      timestamp: from + 1000, duration: duration - 2000,
      localEndpoint: { serviceName: `${service}.${NAMESPACE}`, ipv4: `10.0.0.${10 + service.length}`, port: 0 }, tags: tagsOf('SERVER', service),
    });
    const callees = CALLS[service] ?? [];
    const slot = Math.floor((duration - 4000) / Math.max(1, callees.length));
    callees.forEach((callee, i) => {
      const clientId = hex(8);
      const callStart = from + 2000 + i * slot;
      const callDuration = slot - 1000;
      spans.push({
        traceId: traceIdFor(), id: clientId, parentId: serverId, kind: 'CLIENT', name: `${callee}.${NAMESPACE}.svc.cluster.local:9080/*`,
        timestamp: callStart, duration: callDuration,
        localEndpoint: { serviceName: `${service}.${NAMESPACE}`, ipv4: `10.0.0.${10 + service.length}`, port: 0 }, tags: tagsOf('CLIENT', callee),
      });
      serve(callee, clientId, callStart, callDuration);
    });
  };
  serve('productpage', gatewayId, start, total);
  // Envoy reports a span when it ends: the deepest calls first, the gateway last
  return spans.sort((a, b) => a.timestamp + a.duration - (b.timestamp + b.duration));
}

/**
 * Spans of `traces` interleaved across traces and cut into bodies of at most `maxSpans`, so the spans of
 * one trace travel in different requests (as many Envoy sidecars each report their own spans).
 */
export function toBodies(traces: readonly (readonly ZipkinJsonSpan[])[], maxSpans = 5): ZipkinJsonSpan[][] {
  const interleaved: ZipkinJsonSpan[] = [];
  const longest = Math.max(0, ...traces.map((t) => t.length));
  for (let i = 0; i < longest; i += 1) for (const t of traces) if (t[i] !== undefined) interleaved.push(t[i] as ZipkinJsonSpan);
  const bodies: ZipkinJsonSpan[][] = [];
  for (let i = 0; i < interleaved.length;) {
    const size = 1 + Math.floor(Math.random() * maxSpans);
    bodies.push(interleaved.slice(i, i + size));
    i += size;
  }
  return bodies;
}

const WIDTHS: readonly TraceIdWidth[] = ['64', '128', '128', 'mixed'];

/** A trace-id width for the i-th trace, cycling through 64-bit, 128-bit and mixed. */
export const widthOf = (i: number): TraceIdWidth => WIDTHS[i % WIDTHS.length] ?? '128';

/** Spans answered 202 (ledgered), and those posted without a 202 (they may or may not arrive). */
export class Ledger {
  readonly accepted: ZipkinJsonSpan[] = [];
  readonly unacknowledged: ZipkinJsonSpan[] = [];
  readonly statuses = new Map<string, number>();
  #acceptedAtMs: number[] = [];

  record(body: readonly ZipkinJsonSpan[], status: number | string): void {
    const key = String(status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (status === 202) {
      for (const s of body) this.accepted.push(s);
      this.#acceptedAtMs.push(Date.now());
    } else {
      for (const s of body) this.unacknowledged.push(s);
    }
  }

  /** Bodies answered 202 since `sinceMs`. */
  acceptedSince(sinceMs: number): number {
    return this.#acceptedAtMs.filter((t) => t >= sinceMs).length;
  }

  summary(): string {
    return `ledger: ${this.accepted.length} spans accepted, ${this.unacknowledged.length} unacknowledged; statuses ${JSON.stringify(Object.fromEntries(this.statuses))}`;
  }
}

/** POSTs one Zipkin v2 JSON body; resolves with the status (or the error's name). */
export async function postSpans(receiverUrl: string, body: readonly ZipkinJsonSpan[]): Promise<number | string> {
  try {
    const res = await fetch(`${receiverUrl}/api/v2/spans`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    return (error as Error).name;
  }
}

/** Posts `bodies` with at most `concurrency` requests in flight, ledgering each answer. */
export async function postAll(receiverUrl: string, bodies: readonly ZipkinJsonSpan[][], ledger: Ledger, concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next] as ZipkinJsonSpan[];
      next += 1;
      ledger.record(body, await postSpans(receiverUrl, body));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface TrafficOptions {
  readonly receiverUrl: string;
  readonly ledger: Ledger;
  /** Target spans per second (approximate). */
  readonly spansPerSecond: number;
  /** Stop after this many spans were posted (default: until stop()). */
  readonly maxSpans?: number;
  /** Traces generated per round (their spans are interleaved). */
  readonly tracesPerRound?: number;
}

/** A producer that keeps posting fresh traces until stopped (or `maxSpans` were posted). */
export class TrafficPump {
  readonly #o: TrafficOptions;
  #stopped = false;
  #posted = 0;
  readonly done: Promise<void>;

  constructor(options: TrafficOptions) {
    this.#o = options;
    this.done = this.#run();
  }

  get postedSpans(): number {
    return this.#posted;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.done;
  }

  async #run(): Promise<void> {
    const perRound = this.#o.tracesPerRound ?? 6;
    let round = 0;
    while (!this.#stopped && (this.#o.maxSpans === undefined || this.#posted < this.#o.maxSpans)) {
      const started = Date.now();
      const traces = Array.from({ length: perRound }, (_, i) => generateTrace(widthOf(round + i)));
      const bodies = toBodies(traces);
      const spans = traces.reduce((n, t) => n + t.length, 0);
      await postAll(this.#o.receiverUrl, bodies, this.#o.ledger, 3);
      this.#posted += spans;
      round += 1;
      const dueMs = (spans / this.#o.spansPerSecond) * 1000;
      const left = dueMs - (Date.now() - started);
      if (left > 0) await sleep(left);
    }
  }
}

export interface ExpectedDocuments {
  /** segment id → trace key (low 64 bits of the Zipkin trace id). */
  readonly traceKeyOf: Map<string, string>;
  readonly documents: number;
  readonly traces: number;
}

/**
 * What the ledgered spans must become: translated here with the pure `translateSpans` (the translator's
 * own core). Segment ids do not depend on batching for these spans (each span has its own id; a root
 * CLIENT span's segment id is derived from its span id), so any split into batches yields the same set.
 */
export function expectedDocuments(spans: readonly ZipkinJsonSpan[]): ExpectedDocuments {
  const decoded = decodeJsonV2(JSON.stringify(spans));
  if (!decoded.ok) throw new Error(`ledgered spans do not decode: ${JSON.stringify(decoded.issues.slice(0, 3))}`);
  const out = translateSpans(decoded.value, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs: new MemoryEpochStore() });
  if (out.rejected.length > 0) throw new Error(`ledgered spans rejected by translateSpans: ${JSON.stringify(out.rejected.slice(0, 3))}`);
  const map = new Map<string, string>();
  for (const d of out.documents) {
    const span = decoded.value[d.spanIndex];
    if (span === undefined) throw new Error('translateSpans returned a span index out of range');
    if (map.has(d.segmentId)) throw new Error(`generated traffic repeats segment id ${d.segmentId}`);
    map.set(d.segmentId, traceKeyOf(span.traceId));
  }
  return { traceKeyOf: map, documents: out.documents.length, traces: new Set(map.values()).size };
}
