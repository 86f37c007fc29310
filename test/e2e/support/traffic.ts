/**
 * Bookinfo traffic for the backbone e2e tests, made by the simulator (services/simulator: the same
 * generator, Zipkin v2 JSON encoder and sender as `meshray demo`), and the LEDGER of every span the
 * receiver answered 202 for. The ledger is the truth a test checks xray-local against: a span answered 202
 * must end up in X-Ray.
 *
 * Generation is seeded (`TRAFFIC_SEED`, else one seed per process, printed in `Ledger.summary()`), so a
 * failing run can be replayed; a fresh seed per process keeps trace ids apart across runs that share Redis.
 */
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans, traceKeyOf } from '../../../shared/core/xray/index.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { decodeJsonV2 } from '../../../shared/core/zipkin/index.ts';
import {
  createPrng, DEFAULT_GENERATE_OPTIONS, encodeSpansJsonV2, generateRequest, SpanPoster, spansUrlOf, type GenerateOptions, type Prng,
} from '../../../services/simulator/index.ts';
import { sleep } from '../../support/wait.ts';

export type TraceIdWidth = '64' | '128' | 'mixed';

/** The seed of this process's traffic. */
export const TRAFFIC_SEED = process.env['TRAFFIC_SEED'] !== undefined ? Number(process.env['TRAFFIC_SEED']) : (Date.now() ^ (process.pid << 16)) >>> 0;
const prng: Prng = createPrng(TRAFFIC_SEED);
let requestIndex = 0;

/**
 * Istio 1.7.4 Bookinfo with productpage 2.5 s slower: a request lasts ~2.5 s, so its spans start in
 * different seconds (a trace's first-seen span decides a rewritten epoch, so instances that see different
 * first spans would disagree without the shared epoch store), and reviews/ratings start ≥ 1 s after the
 * gateway.
 */
const GENERATE: GenerateOptions = { ...DEFAULT_GENERATE_OPTIONS, flavour: '1.7.4', latency: [{ service: 'productpage', multiplier: 1, extraMs: 2500 }] };

/**
 * The spans of one request, in the order the Envoys finish them. `width`: 64-bit ids (padded, epoch
 * rewritten), 128-bit (random high bits, half of them with a plausible epoch that is kept), or mixed (some
 * spans carry the 64-bit form of the same id, as a mesh with old and new proxies sends).
 */
export function generateTrace(width: TraceIdWidth, nowMicros = Date.now() * 1000): Span[] {
  const request = generateRequest(prng, nowMicros, requestIndex++, { ...GENERATE, idBits: width === '64' ? 64 : 128 });
  const low = request.traceId.slice(-16);
  const plausibleHigh = Math.floor(nowMicros / 1e6).toString(16).padStart(8, '0') + request.traceId.slice(8, 16);
  const full = width !== '64' && prng.chance(0.5) ? plausibleHigh + low : request.traceId;
  return request.spans.map(({ span }) => ({ ...span, traceId: width === 'mixed' && prng.chance(0.5) ? low : full }));
}

/**
 * Spans of `traces` interleaved across traces and cut into bodies of 1 … `maxSpans`, so the spans of one
 * trace travel in different requests (as many Envoy sidecars each report their own spans).
 */
export function toBodies(traces: readonly (readonly Span[])[], maxSpans = 5): Span[][] {
  const interleaved: Span[] = [];
  const longest = Math.max(0, ...traces.map((t) => t.length));
  for (let i = 0; i < longest; i += 1) for (const t of traces) if (t[i] !== undefined) interleaved.push(t[i] as Span);
  const bodies: Span[][] = [];
  for (let i = 0; i < interleaved.length;) {
    const size = prng.int(1, maxSpans);
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
  readonly accepted: Span[] = [];
  readonly unacknowledged: Span[] = [];
  /** POSTs by final answer (`"202"`, `"503"`; `"0"` = no answer). */
  readonly statuses = new Map<string, number>();

  record(body: readonly Span[], status: number): void {
    const key = String(status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    (status === 202 ? this.accepted : this.unacknowledged).push(...body);
  }

  summary(): string {
    return `ledger (TRAFFIC_SEED=${TRAFFIC_SEED}): ${this.accepted.length} spans accepted, ${this.unacknowledged.length} unacknowledged; statuses ${JSON.stringify(Object.fromEntries(this.statuses))}`;
  }
}

/**
 * Posts `bodies` through the simulator's sender with at most `concurrency` requests in flight and no
 * retries, ledgering each final answer.
 */
export async function postAll(receiverUrl: string, bodies: readonly Span[][], ledger: Ledger, concurrency = 4): Promise<void> {
  const poster = new SpanPoster({
    url: spansUrlOf(receiverUrl),
    concurrency,
    post: { maxRetries: 0, timeoutMs: 10_000 },
    onSpansAccepted: (spans) => ledger.record(spans, 202),
    onRefused: (spans, result) => ledger.record(spans, result.status),
  });
  for (const body of bodies) await poster.submit(body);
  await poster.settle();
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
      const spans = traces.reduce((n, t) => n + t.length, 0);
      await postAll(this.#o.receiverUrl, toBodies(traces), this.#o.ledger, 3);
      this.#posted += spans;
      round += 1;
      // pacing to a rate, not synchronisation: the pump's rounds are spread over time
      const left = (spans / this.#o.spansPerSecond) * 1000 - (Date.now() - started);
      if (left > 0) await sleep(left);
    }
  }
}

export interface ExpectedDocuments {
  /** segment id → trace key (low 64 bits of the Zipkin trace id). */
  readonly traceKeyOf: Map<string, string>;
  /** segment id → the Zipkin span id it was translated from. */
  readonly spanIdOf: Map<string, string>;
  readonly documents: number;
  readonly traces: number;
}

/**
 * What the ledgered spans must become: their wire form decoded and translated here with the pure
 * `translateSpans` (the translator's own core). Segment ids do not depend on batching for these spans (each
 * span has its own id; a root CLIENT span's segment id is derived from its span id), so any split into
 * batches yields the same set.
 */
export function expectedDocuments(spans: readonly Span[]): ExpectedDocuments {
  const decoded = decodeJsonV2(encodeSpansJsonV2(spans));
  if (!decoded.ok) throw new Error(`ledgered spans do not decode: ${JSON.stringify(decoded.issues.slice(0, 3))}`);
  const out = translateSpans(decoded.value, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: Date.now(), epochs: new MemoryEpochStore() });
  if (out.rejected.length > 0) throw new Error(`ledgered spans rejected by translateSpans: ${JSON.stringify(out.rejected.slice(0, 3))}`);
  const map = new Map<string, string>();
  const spanIdOf = new Map<string, string>();
  for (const d of out.documents) {
    const span = decoded.value[d.spanIndex];
    if (span === undefined) throw new Error('translateSpans returned a span index out of range');
    if (map.has(d.segmentId)) throw new Error(`generated traffic repeats segment id ${d.segmentId}`);
    map.set(d.segmentId, traceKeyOf(span.traceId));
    spanIdOf.set(d.segmentId, span.id);
  }
  return { traceKeyOf: map, spanIdOf, documents: out.documents.length, traces: new Set(map.values()).size };
}
