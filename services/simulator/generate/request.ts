/**
 * The pure generator: one Bookinfo request (ingress → productpage → details, reviews (→ ratings)) as the spans
 * each Envoy would report for it. No clock, no randomness of its own: the PRNG and `nowMicros` are inputs, so a
 * seed gives the same spans every time.
 */
import type { Annotation, Span, SpanKind } from '../../../shared/core/zipkin/span.ts';
import type { Prng } from './prng.ts';
import { REVIEWS_VERSIONS, type Flavour, type ReviewsVersion } from './flavour.ts';
import { toAmbient } from './ambient.ts';
import { applyLatency, DEFAULT_FAULT_FLAGS, FAULT_STATUS, type FaultFlag, type LatencyRule } from './injections.ts';
import {
  DETAILS, GATEWAY, PRODUCTPAGE, RATINGS, REVIEWS, hostOf, inboundClusterOf, outboundClusterOf, serviceNameOf,
  type ServiceName, type Workload,
} from './topology.ts';

export type ReviewsRouting =
  | { readonly kind: 'round-robin' }
  | { readonly kind: 'weighted'; readonly weights: Readonly<Record<ReviewsVersion, number>> };

export interface GenerateOptions {
  readonly flavour: Flavour;
  /** 128 (Istio's default) or 64-bit trace ids. */
  readonly idBits: 64 | 128;
  readonly reviews: ReviewsRouting;
  /** Fraction of requests with an application error (ratings 503 → reviews degraded 200, or details 500). */
  readonly errorRate: number;
  /** Fraction of requests where one hop fails in Envoy (a failure response flag, no SERVER span). */
  readonly faultRate: number;
  readonly faultFlags: readonly FaultFlag[];
  readonly latency: readonly LatencyRule[];
  /** Host of the ingress URL (`http://HOST/productpage`). */
  readonly host: string;
  readonly userAgent: string;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = Object.freeze<GenerateOptions>({
  flavour: '1.7.4',
  idBits: 128,
  reviews: { kind: 'round-robin' },
  errorRate: 0,
  faultRate: 0,
  faultFlags: DEFAULT_FAULT_FLAGS,
  latency: [],
  host: 'bookinfo.example.com',
  userAgent: 'curl/7.60.0',
});

/** A span and the workload whose sidecar reports it (the key of that sidecar's span buffer). */
export interface EmittedSpan {
  readonly workload: string;
  readonly span: Span;
}

export type Injection =
  | { readonly kind: 'error'; readonly service: 'details' | 'ratings'; readonly status: number }
  | { readonly kind: 'fault'; readonly service: Exclude<ServiceName, 'istio-ingressgateway'>; readonly flag: FaultFlag; readonly status: number };

export interface GeneratedRequest {
  readonly traceId: string;
  /** `guid:x-request-id` of every span. */
  readonly requestId: string;
  readonly reviews: ReviewsVersion;
  readonly injected?: Injection;
  /** Start and duration of the root span. */
  readonly startMicros: number;
  readonly durationMicros: number;
  /** In the order the Envoys finish them (end time, then start time). */
  readonly spans: EmittedSpan[];
}

/** One hop: the caller's sidecar → `callee`. Times in microseconds. */
interface Call {
  readonly callee: Workload;
  readonly url: string;
  readonly name: string;
  readonly net: number;
  readonly work: number;
  readonly children: readonly Call[];
  readonly status: number;
  readonly responseSize: number;
  readonly fault: FaultFlag | undefined;
  /** The callee's SERVER span duration. */
  readonly serverMicros: number;
  /** The caller's CLIENT span duration. */
  readonly clientMicros: number;
}

/** Bytes of Envoy's local replies (`no healthy upstream` and so on). */
const LOCAL_REPLY_BYTES: Readonly<Record<FaultFlag, number>> = { UH: 19, UF: 91, URX: 91, UO: 81, UT: 24, DC: 0 };
/** How long a failing hop takes, [min, max) µs: UH/UO fail fast, UF after a connect attempt, URX after retries. */
const FAULT_MICROS: Readonly<Record<FaultFlag, readonly [number, number]>> = {
  UH: [80, 400], UO: [80, 400], UF: [800, 3_000], URX: [30_000, 80_000], UT: [1_000_000, 1_002_000], DC: [5_000, 20_000],
};
/** Own work of each service, [min, max) µs, before latency rules. */
const WORK_MICROS: Readonly<Record<ServiceName, readonly [number, number]>> = {
  'istio-ingressgateway': [200, 800], productpage: [6_000, 20_000], details: [800, 3_000], reviews: [3_000, 15_000], ratings: [500, 2_500],
};

const isFailure = (status: number): boolean => status === 0 || status >= 500;

export function generateRequest(prng: Prng, nowMicros: number, requestIndex: number, options: GenerateOptions = DEFAULT_GENERATE_OPTIONS): GeneratedRequest {
  const { flavour } = options;
  const reviewsVersion = pickReviews(prng, requestIndex, options.reviews);
  const callsRatings = reviewsVersion !== 'v1';
  const injected = pickInjection(prng, options, callsRatings);
  const work = (service: ServiceName): number =>
    Math.round(applyLatency(options.latency, service, prng.between(WORK_MICROS[service][0], WORK_MICROS[service][1])));
  const faultOf = (service: ServiceName): FaultFlag | undefined =>
    injected?.kind === 'fault' && injected.service === service ? injected.flag : undefined;
  const errorOf = (service: ServiceName): boolean => injected?.kind === 'error' && injected.service === service;
  const makeCall = (callee: Workload, url: string, path: string, status: number, responseSize: number, children: readonly Call[]): Call => {
    const fault = faultOf(callee.service);
    const net = prng.int(150, 600);
    const ownWork = work(callee.service);
    const serverMicros = ownWork + children.reduce((sum, c) => sum + c.clientMicros, 0);
    if (fault !== undefined) {
      const [min, max] = FAULT_MICROS[fault];
      return { callee, url, name: `${hostOf(callee)}:9080${path}`, net, work: ownWork, children: [], status: FAULT_STATUS[fault], responseSize: LOCAL_REPLY_BYTES[fault], fault, serverMicros: 0, clientMicros: prng.int(min, max - 1) };
    }
    return { callee, url, name: `${hostOf(callee)}:9080${path}`, net, work: ownWork, children, status, responseSize, fault, serverMicros, clientMicros: serverMicros + 2 * net };
  };

  const children: Call[] = [];
  const details = makeCall(DETAILS, 'http://details:9080/details/0', '/*', errorOf('details') ? 500 : 200, errorOf('details') ? 42 : 178, []);
  children.push(details);
  let ratingsFailed = false;
  const reviewsChildren: Call[] = [];
  if (callsRatings) {
    const ratings = makeCall(RATINGS, 'http://ratings:9080/ratings/0', '/*', errorOf('ratings') ? 503 : 200, errorOf('ratings') ? 19 : 48, []);
    ratingsFailed = isFailure(ratings.status);
    reviewsChildren.push(ratings);
  }
  const reviewsBytes = reviewsVersion === 'v1' ? 295 : ratingsFailed ? 375 : 358;
  const reviews = makeCall(REVIEWS[reviewsVersion], 'http://reviews:9080/reviews/0', '/*', 200, reviewsBytes, reviewsChildren);
  children.push(reviews);
  const pageBytes =
    (reviewsVersion === 'v1' ? 4415 : 5183) - (isFailure(details.status) ? 640 : 0) - (isFailure(reviews.status) ? 1200 : ratingsFailed ? 210 : 0);
  const productpage = makeCall(PRODUCTPAGE, `http://${options.host}/productpage`, '/productpage', 200, pageBytes, children);

  const gatewayWork = work('istio-ingressgateway');
  const rootEnd = nowMicros - prng.int(60, 200);
  const rootMicros = gatewayWork + productpage.clientMicros;
  const rootStart = rootEnd - rootMicros;
  const rootId = prng.hex64();
  const traceId = options.idBits === 128 ? prng.hex64() + rootId : rootId;
  const requestId = uuidOf(prng);
  const out: EmittedSpan[] = [];
  // Ambient mode reports the same traffic as `modern` (same PRNG draws), through waypoints: see ambient.ts.
  const emitter = new Emitter(prng, flavour === 'ambient' ? { ...options, flavour: 'modern' } : options, traceId, requestId, out);
  const ppClientStart = rootStart + Math.floor(gatewayWork / 2);
  if (flavour === 'modern' || flavour === 'ambient') {
    const clientIp = `192.168.${prng.int(0, 3)}.${prng.int(2, 254)}`;
    out.push({
      workload: GATEWAY.name,
      span: emitter.span(rootId, undefined, 'SERVER', GATEWAY, productpage, rootStart, rootMicros, outboundClusterOf(PRODUCTPAGE), clientIp),
    });
    emitter.hop(GATEWAY, rootId, productpage, ppClientStart, productpage.clientMicros, undefined);
  } else {
    // Istio 1.7: the gateway's one span is a root CLIENT span covering the whole downstream request.
    emitter.hop(GATEWAY, undefined, productpage, rootStart, rootMicros, rootId);
  }
  const spans = flavour === 'ambient' ? toAmbient(out) : out;
  spans.sort(byEnd);
  return {
    traceId,
    requestId,
    reviews: reviewsVersion,
    ...(injected === undefined ? {} : { injected }),
    startMicros: rootStart,
    durationMicros: rootMicros,
    spans,
  };
}

function byEnd(a: EmittedSpan, b: EmittedSpan): number {
  const endA = (a.span.timestampMicros ?? 0) + (a.span.durationMicros ?? 0);
  const endB = (b.span.timestampMicros ?? 0) + (b.span.durationMicros ?? 0);
  return endA - endB || (a.span.timestampMicros ?? 0) - (b.span.timestampMicros ?? 0);
}

function pickReviews(prng: Prng, requestIndex: number, routing: ReviewsRouting): ReviewsVersion {
  if (routing.kind === 'round-robin') return REVIEWS_VERSIONS[((requestIndex % 3) + 3) % 3] as ReviewsVersion;
  const { v1, v2, v3 } = routing.weights;
  const total = v1 + v2 + v3;
  const roll = prng.next() * total;
  return roll < v1 ? 'v1' : roll < v1 + v2 ? 'v2' : 'v3';
}

function pickInjection(prng: Prng, options: GenerateOptions, callsRatings: boolean): Injection | undefined {
  if (options.faultFlags.length > 0 && prng.chance(options.faultRate)) {
    const services = callsRatings ? (['productpage', 'details', 'reviews', 'ratings'] as const) : (['productpage', 'details', 'reviews'] as const);
    const service = services[prng.int(0, services.length - 1)] ?? 'details';
    const flag = options.faultFlags[prng.int(0, options.faultFlags.length - 1)] ?? 'UF';
    return { kind: 'fault', service, flag, status: FAULT_STATUS[flag] };
  }
  if (prng.chance(options.errorRate)) {
    const service = callsRatings && prng.chance(0.5) ? 'ratings' : 'details';
    return { kind: 'error', service, status: service === 'ratings' ? 503 : 500 };
  }
  return undefined;
}

function uuidOf(prng: Prng): string {
  const a = prng.hex64();
  const b = prng.hex64();
  return `${a.slice(0, 8)}-${a.slice(8, 12)}-${a.slice(12, 16)}-${b.slice(0, 4)}-${b.slice(4, 16)}`;
}

/** Builds the spans of one request in the flavour's shape. */
class Emitter {
  constructor(
    private readonly prng: Prng,
    private readonly options: GenerateOptions,
    private readonly traceId: string,
    private readonly requestId: string,
    private readonly out: EmittedSpan[],
  ) {}

  /**
   * The caller's CLIENT span for `call` and, unless the hop faulted, the callee's SERVER span and its hops.
   * `clientId` forces the CLIENT span's id (the root span's id is the trace id's low half).
   */
  hop(caller: Workload, parentId: string | undefined, call: Call, clientStart: number, clientMicros: number, clientId: string | undefined): void {
    const id = clientId ?? this.prng.hex64();
    this.out.push({ workload: caller.name, span: this.span(id, parentId, 'CLIENT', caller, call, clientStart, clientMicros, outboundClusterOf(call.callee), undefined) });
    if (call.fault !== undefined) return;
    const serverId = this.prng.hex64();
    const serverStart = clientStart + Math.floor((clientMicros - call.serverMicros) / 2);
    const kind: SpanKind = this.options.flavour === '1.7' ? 'CLIENT' : 'SERVER';
    const cluster = inboundClusterOf(call.callee, this.options.flavour);
    this.out.push({ workload: call.callee.name, span: this.span(serverId, id, kind, call.callee, call, serverStart, call.serverMicros, cluster, caller.ipv4) });
    const gap = Math.floor(call.work / (call.children.length + 1));
    let cursor = serverStart;
    for (const child of call.children) {
      cursor += gap;
      this.hop(call.callee, serverId, child, cursor, child.clientMicros, undefined);
      cursor += child.clientMicros;
    }
  }

  span(
    id: string, parentId: string | undefined, kind: SpanKind, self: Workload, call: Call,
    startMicros: number, durationMicros: number, cluster: string, peerAddress: string | undefined,
  ): Span {
    const { flavour, userAgent } = this.options;
    // One object literal per shape keeps tag objects fast (no spread, few added keys).
    const tags: Record<string, string> = flavour === 'modern'
      ? {
          component: 'proxy', node_id: self.nodeId, zone: self.zone, 'guid:x-request-id': this.requestId, 'http.url': call.url,
          'http.method': 'GET', downstream_cluster: '-', user_agent: userAgent, 'http.protocol': 'HTTP/1.1', request_size: '0',
          upstream_cluster: cluster, 'upstream_cluster.name': cluster, 'http.status_code': String(call.status),
          response_size: String(call.responseSize), response_flags: call.fault ?? '-',
          'istio.canonical_service': self.service, 'istio.canonical_revision': self.version, 'istio.namespace': self.namespace,
          'istio.mesh_id': 'cluster.local',
        }
      : {
          component: 'proxy', node_id: self.nodeId, zone: self.zone, 'guid:x-request-id': this.requestId, 'http.url': call.url,
          'http.method': 'GET', downstream_cluster: '-', user_agent: userAgent, 'http.protocol': 'HTTP/1.1', request_size: '0',
          upstream_cluster: cluster, 'http.status_code': String(call.status), response_size: String(call.responseSize),
          response_flags: call.fault ?? '-',
        };
    if (peerAddress !== undefined) tags['peer.address'] = peerAddress;
    if (isFailure(call.status)) tags['error'] = 'true';
    const annotations: Annotation[] =
      flavour === 'modern' ? [{ timestampMicros: startMicros + durationMicros + this.prng.int(5, 59), value: kind === 'SERVER' ? 'ss' : 'cr' }] : [];
    const localEndpoint = { serviceName: serviceNameOf(self, flavour), ipv4: self.ipv4, port: 0 };
    return parentId === undefined
      ? { traceId: this.traceId, id, kind, name: call.name, timestampMicros: startMicros, durationMicros, localEndpoint, annotations, tags }
      : { traceId: this.traceId, parentId, id, kind, name: call.name, timestampMicros: startMicros, durationMicros, localEndpoint, annotations, tags };
  }
}
