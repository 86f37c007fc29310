/**
 * The pure Zipkin → OTLP translator: repaired Zipkin spans (meshray's span model) → OTLP/HTTP
 * `ExportTraceServiceRequest`s that the CloudWatch OTLP traces endpoint accepts. No I/O, no clock
 * (`nowMs` is an input), no randomness; the same spans give byte-identical requests.
 *
 * The Istio repairs are the segments path's own functions (shared/core/xray), imported, so both paths name and
 * shape the same calls the same way:
 * - span kind from Envoy's `upstream_cluster` (`resolveKind`), written as OTLP `SpanKind`;
 *   a span without kind is `INTERNAL`; a repaired span carries `meshray.kind_repaired_from`;
 * - `service.name` = the segment name of the workload (`sanitizeName(localServiceOf(span))`);
 * - CLIENT / PRODUCER spans carry `aws.remote.service` and `peer.service` = the name the segments path
 *   gives the remote subsegment (`remoteServiceOf`, else the SERVER span the call reached in the batch).
 *   X-Ray draws a service-map edge from a CLIENT span to the node named by `aws.remote.service`
 *   (CloudWatch User Guide, Application Signals / Transaction Search span attributes; the X-Ray console
 *   reads `peer.service` when `aws.remote.service` is absent), so both paths draw the same map;
 * - ambient: a waypoint span is named and tagged as the segments path names it (`istio.waypoint`), and a
 *   root waypoint span gets its caller (`istio.source_*`) in front as a CLIENT span (`rootCallerOf`);
 * - a SERVER span that shares its id with its CLIENT (Zipkin `shared`, or a CLIENT with the same id in
 *   the batch) gets the id the segments path derives (`deriveIdByHash(id, sharedServerRole(localService))`) and the client's span
 *   id as parent; same-service children in the batch are re-linked to it (OTLP span ids must be unique);
 * - HTTP status as an integer, current HTTP semantic conventions (attributes.ts), error status from
 *   Envoy's response flags, gRPC status and the `error` tag (status.ts), Zipkin annotations as events;
 * - the allowlisted tags (ANNOTATION_TAGS) kept as attributes are listed in `aws.xray.annotations`, the
 *   attribute X-Ray indexes as annotations (all other attributes are metadata).
 * Trace ids: a 64-bit Zipkin id is zero-padded to 128 bits, or takes the 128-bit id another span of the
 * same trace (same low 64 bits) has in the batch. The OTLP endpoint takes W3C ids as they are: no epoch.
 *
 * Endpoint limits (limits.ts, CloudWatch "OTLP Endpoints" page) are enforced before sending (fit.ts, pack.ts):
 * spans older than 14 days or more than 2 h ahead are rejected (`too_old`, `too_far_ahead`); a span over
 * 200 KB loses its largest non-essential attributes, then its events (counted in
 * `droppedAttributesCount` / `droppedEventsCount`, marked `meshray.trimmed`, named in `meshray.trimmed_attributes`), and is rejected
 * (`too_large`) if it still does not fit; spans are packed into requests of ≤ 10,000 spans, ≤ 5 MB of
 * protobuf and ≤ 24 h between the earliest and latest span start. Spans are grouped by resource
 * (one `ResourceSpans` per distinct resource attribute set, one scope `meshray`).
 */
import type { Span } from '../zipkin/span.ts';
import type { Issue } from '../result/result.ts';
import { localServiceOf, remoteServiceOf } from '../xray/span-kind.ts';
import { planSpan as planSharedSpan, SPAN_HEX, type SpanPlan } from '../xray/plan.ts';
import { sanitizeName } from '../xray/names.ts';
import { documentTagsOf, rootCallerOf } from '../xray/istio-naming.ts';
import { pad128 } from '../xray/trace-id.ts';
import { deriveIdByHash, sharedServerRole, type DeriveId } from '../xray/ids.ts';
import { DEFAULT_ANNOTATION_ALLOWLIST } from '../xray/config.ts';
import {
  SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK,
  SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK,
  SpanKindOtlp,
  type KeyValue,
  type OtlpEvent,
  type OtlpSpan,
} from './otlp-request.ts';
import { OTLP_ENDPOINT_LIMITS, type OtlpLimits } from './limits.ts';
import { resourceAttributesOf, spanAttributesOf, str } from './attributes.ts';
import { statusOfSpan } from './status.ts';
import { fitSpan } from './fit.ts';
import { packOtlpSpans, type OtlpPlacedSpan, type OtlpExportBatch } from './pack.ts';

export { OTLP_SCHEMA_URL, OTLP_SCOPE_NAME, packOtlpSpans } from './pack.ts';
export type { OtlpExportBatch, OtlpPlacedSpan } from './pack.ts';

export interface OtlpTranslateContext {
  readonly nowMs: number;
  /** Defaults to the CloudWatch OTLP endpoint's limits. */
  readonly limits?: OtlpLimits;
  /** Version written on the instrumentation scope; omitted when absent. */
  readonly scopeVersion?: string;
  /** Id derivation for a SERVER span sharing its CLIENT's id; default the segments path's FNV-1a 64. */
  readonly deriveId?: DeriveId;
  /**
   * Tags the segments path indexes as annotations (ANNOTATION_TAGS; default the Istio set): those carried as
   * attributes under their own name are listed in `aws.xray.annotations`, which X-Ray indexes as annotations
   * (its other attributes stay metadata), so both paths can be filtered on the same annotations.
   */
  readonly annotationAllowlist?: readonly string[];
}

export type OtlpRejectReason = 'invalid_id' | 'no_timestamp' | 'too_old' | 'too_far_ahead' | 'too_large' | 'invalid_derived_id';

export interface OtlpRejectedSpan {
  readonly spanIndex: number;
  readonly reason: OtlpRejectReason;
  readonly issues: readonly Issue[];
}

export interface OtlpTranslateStats {
  kindRepaired: number;
  /** Spans that lost attributes or events to fit 200 KB. */
  spansTrimmed: number;
}

export interface OtlpTranslateOutput {
  readonly batches: OtlpExportBatch[];
  readonly rejected: OtlpRejectedSpan[];
  readonly stats: OtlpTranslateStats;
}

interface Plan extends SpanPlan {
  /** `Span.SpanKind` (trace.proto). */
  readonly otlpKind: number;
  readonly localService: string;
  sharedServerId?: string;
  derivedIdFailed?: boolean;
}

/** Translates and packs: `placeOtlpSpans`, then `packOtlpSpans`. */
export function translateToOtlp(spans: readonly Span[], ctx: OtlpTranslateContext): OtlpTranslateOutput {
  const { placed, rejected, stats } = placeOtlpSpans(spans, ctx);
  return { batches: packOtlpSpans(placed, ctx), rejected, stats };
}

export interface OtlpPlaceOutput {
  readonly placed: OtlpPlacedSpan[];
  readonly rejected: OtlpRejectedSpan[];
  readonly stats: OtlpTranslateStats;
}

/**
 * The spans, translated (repairs, ids, attributes, status, events), refused when outside the endpoint's
 * time window, and trimmed to its 200 KB span limit, in input order; not yet packed into requests.
 */
export function placeOtlpSpans(spans: readonly Span[], ctx: OtlpTranslateContext): OtlpPlaceOutput {
  const limits = ctx.limits ?? OTLP_ENDPOINT_LIMITS;
  const deriveId = ctx.deriveId ?? deriveIdByHash;
  const annotated = new Set(ctx.annotationAllowlist ?? DEFAULT_ANNOTATION_ALLOWLIST);
  const stats: OtlpTranslateStats = { kindRepaired: 0, spansTrimmed: 0 };
  const rejected: OtlpRejectedSpan[] = [];

  // Pass 1: ids, time window, kinds; CLIENT span ids and the 128-bit trace id of each trace key.
  const plans: Plan[] = [];
  const clientIds = new Set<string>();
  const wideTraceIds = new Map<string, string>();
  for (let index = 0; index < spans.length; index += 1) {
    const plan = planSpan(spans[index] as Span, index, ctx.nowMs, limits, rejected);
    if (plan === undefined) continue;
    plans.push(plan);
    if (plan.repairedFrom !== undefined) stats.kindRepaired += 1;
    if (plan.role === 'client') clientIds.add(`${plan.traceKey}:${plan.span.id}`);
    if (plan.span.traceId.length === 32 && !wideTraceIds.has(plan.traceKey)) wideTraceIds.set(plan.traceKey, plan.span.traceId);
  }

  // Pass 2: SERVER spans sharing their CLIENT's id get the derived id; re-links for their children.
  const relinks = new Map<string, string>();
  const callees = new Map<string, string>();
  for (const plan of plans) {
    if (plan.role !== 'server') continue;
    const span = plan.span;
    const shares = clientIds.has(`${plan.traceKey}:${span.id}`) || (span.shared === true && span.parentId !== undefined);
    if (shares) {
      const derived = deriveId(span.id, sharedServerRole(localServiceOf(span)));
      if (typeof derived !== 'string' || !SPAN_HEX.test(derived) || derived === span.id) {
        plan.derivedIdFailed = true;
        rejected.push({ spanIndex: plan.index, reason: 'invalid_derived_id', issues: [{ path: `spans[${plan.index}].id`, message: 'deriveId returned an id that is not 16 hex digits or equals the span id' }] });
        continue;
      }
      plan.sharedServerId = derived;
      relinks.set(`${plan.traceKey}:${span.id}:${plan.localService}`, derived);
    }
    const caller = plan.sharedServerId !== undefined ? span.id : span.parentId;
    const key = `${plan.traceKey}:${caller}`;
    if (caller !== undefined && !callees.has(key)) callees.set(key, plan.localService);
  }

  // Pass 3: build, trim and place each span.
  const placed: OtlpPlacedSpan[] = [];
  const resources = new Map<string, { key: string; attributes: readonly KeyValue[] }>();
  for (const plan of plans) {
    if (plan.derivedIdFailed === true) continue;
    // A root waypoint span: its caller (istio.source_*) is put in front, as the segments path does
    // (shared/core/xray istio-naming.ts rootCallerOf): a CLIENT span of the caller, id derived as there.
    const caller = callerInFrontOf(plan, deriveId);
    if (caller === 'invalid') {
      rejected.push({ spanIndex: plan.index, reason: 'invalid_derived_id', issues: [{ path: `spans[${plan.index}].id`, message: 'deriveId returned an id that is not 16 hex digits or equals the span id' }] });
      continue;
    }
    const built = buildSpan(plan, wideTraceIds, relinks, callees, caller?.id, annotated);
    const fitted = fitSpan(built, limits.maxSpanBytes);
    // The caller put in front carries the waypoint span's tags too: it is held to the same limit, and the
    // input span is placed whole (both) or refused whole (neither), never half exported and dead-lettered.
    const callerFitted = caller === undefined || fitted === undefined ? undefined : fitSpan(buildCallerSpan(built, caller, plan), limits.maxSpanBytes);
    if (fitted === undefined || (caller !== undefined && callerFitted === undefined)) {
      rejected.push({ spanIndex: plan.index, reason: 'too_large', issues: [{ path: `spans[${plan.index}]`, message: `the span's OTLP encoding exceeds ${limits.maxSpanBytes} bytes even without its non-essential attributes and its events` }] });
      continue;
    }
    if (fitted.span !== built) stats.spansTrimmed += 1;
    const resource = resourceOf(plan, resources);
    placed.push({
      index: plan.index,
      span: fitted.span,
      resourceKey: resource.key,
      resourceAttributes: resource.attributes,
      startMs: plan.startMicros / 1000,
      estimatedBytes: fitted.bytes,
    });
    if (caller !== undefined && callerFitted !== undefined) {
      const attributes = [str('service.name', caller.service)];
      placed.push({
        index: plan.index,
        span: callerFitted.span,
        resourceKey: JSON.stringify(attributes),
        resourceAttributes: attributes,
        startMs: plan.startMicros / 1000,
        estimatedBytes: callerFitted.bytes,
      });
    }
  }
  rejected.sort((a, b) => a.spanIndex - b.spanIndex);
  return { placed, rejected, stats };
}

/** The shared plan step (shared/core/xray plan.ts), then the endpoint's time window and the OTLP kind. */
function planSpan(span: Span, index: number, nowMs: number, limits: OtlpLimits, rejected: OtlpRejectedSpan[]): Plan | undefined {
  const planned = planSharedSpan(span, index, { refuseZeroIds: true });
  if (!planned.ok) {
    rejected.push({ spanIndex: index, reason: planned.reason, issues: planned.issues });
    return undefined;
  }
  const { kind, startMicros } = planned.plan;
  const startMs = startMicros / 1000;
  if (startMs < nowMs - limits.maxAgeMs) {
    rejected.push({ spanIndex: index, reason: 'too_old', issues: [{ path: `spans[${index}].timestampMicros`, message: `starts more than ${limits.maxAgeMs / 86_400_000} days before now: the OTLP endpoint refuses it` }] });
    return undefined;
  }
  if (startMs > nowMs + limits.maxAheadMs) {
    rejected.push({ spanIndex: index, reason: 'too_far_ahead', issues: [{ path: `spans[${index}].timestampMicros`, message: `starts more than ${limits.maxAheadMs / 3_600_000} hours after now: the OTLP endpoint refuses it` }] });
    return undefined;
  }
  const { plan } = planned;
  // written out: `{ ...plan, otlpKind, localService }` costs ≈ 1 µs per span on Node 20 (docs/sizing.md §11)
  return {
    span: plan.span, index: plan.index, role: plan.role, kind: plan.kind, repairedFrom: plan.repairedFrom, startMicros: plan.startMicros,
    endMicros: plan.endMicros, traceKey: plan.traceKey,
    otlpKind: kind === undefined ? SpanKindOtlp.INTERNAL : SpanKindOtlp[kind], localService: sanitizeName(localServiceOf(span)),
  };
}

/** Epoch microseconds → epoch nanoseconds as a decimal string (exact beyond 2^53). */
function nanosOf(micros: number): string {
  return (BigInt(Math.round(micros)) * 1000n).toString();
}

interface CallerInFront {
  readonly id: string;
  readonly service: string;
}

/** The caller to put in front of a root waypoint SERVER span; 'invalid' when deriveId broke its contract. */
function callerInFrontOf(plan: Plan, deriveId: DeriveId): CallerInFront | 'invalid' | undefined {
  if (plan.role !== 'server' || plan.sharedServerId !== undefined || plan.span.parentId !== undefined) return undefined;
  const caller = rootCallerOf(plan.span);
  if (caller === undefined) return undefined;
  const id = deriveId(plan.span.id, 'caller');
  if (typeof id !== 'string' || !SPAN_HEX.test(id) || id === plan.span.id) return 'invalid';
  return { id, service: sanitizeName(caller) };
}

/**
 * The caller's CLIENT span for a root waypoint span: same trace, times, HTTP attributes (client side) and
 * status; `aws.remote.service` names the waypoint span's service; parent of the waypoint span.
 */
function buildCallerSpan(server: OtlpSpan, caller: CallerInFront, plan: Plan): OtlpSpan {
  const remote = plan.localService;
  const { parentSpanId: _parent, ...rest } = server;
  return {
    ...rest,
    spanId: caller.id,
    flags: 0x01,
    kind: SpanKindOtlp.CLIENT,
    attributes: [
      str('aws.remote.service', remote),
      str('peer.service', remote),
      ...spanAttributesOf(plan.span, false),
      str('meshray.caller_of_zipkin_span_id', plan.span.id),
    ],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    status: statusOfSpan(plan.span, false),
  };
}

function buildSpan(
  plan: Plan,
  wideTraceIds: ReadonlyMap<string, string>,
  relinks: ReadonlyMap<string, string>,
  callees: ReadonlyMap<string, string>,
  callerId: string | undefined,
  annotated: ReadonlySet<string>,
): OtlpSpan {
  const zipkin = plan.span;
  const tags = documentTagsOf(zipkin);
  const span = tags === zipkin.tags ? zipkin : { ...zipkin, tags };
  const isServer = plan.role === 'server';
  const attributes = spanAttributesOf(span, isServer, annotated);
  if (plan.role === 'client') {
    const remote = sanitizeName(remoteServiceOf(span) ?? callees.get(`${plan.traceKey}:${span.id}`));
    attributes.unshift(str('aws.remote.service', remote), str('peer.service', remote));
  }
  if (plan.repairedFrom !== undefined) attributes.push(str('meshray.kind_repaired_from', plan.repairedFrom));
  const indexed = attributes.filter((kv) => annotated.has(kv.key)).map((kv) => ({ stringValue: kv.key }));
  if (indexed.length > 0) attributes.push({ key: 'aws.xray.annotations', value: { arrayValue: { values: indexed } } });

  let spanId = span.id;
  let parentSpanId = callerId ?? span.parentId;
  if (plan.sharedServerId !== undefined) {
    spanId = plan.sharedServerId;
    parentSpanId = span.id;
    attributes.push(str('meshray.zipkin_span_id', span.id));
  } else if (parentSpanId !== undefined) {
    const relinked = relinks.get(`${plan.traceKey}:${parentSpanId}:${plan.localService}`);
    if (relinked !== undefined) parentSpanId = relinked;
  }

  const events: OtlpEvent[] = span.annotations
    .filter((a) => Number.isFinite(a.timestampMicros) && a.timestampMicros >= 0)
    .map((a) => ({ timeUnixNano: nanosOf(a.timestampMicros), name: a.value, attributes: [] }));

  let flags = 0x01; // W3C sampled: Zipkin only reports sampled spans
  if (parentSpanId !== undefined) flags |= SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK | (isServer ? SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK : 0);
  const out: OtlpSpan = {
    // A 128-bit id is the span's own; a 64-bit one takes the 128-bit id another span of its trace key reported
    // (Zipkin's lenient trace ids), else is padded. Two traces that only share their low 64 bits keep theirs.
    traceId: span.traceId.length === 32 ? span.traceId : wideTraceIds.get(plan.traceKey) ?? pad128(span.traceId),
    spanId,
    ...(parentSpanId !== undefined ? { parentSpanId } : {}),
    flags,
    name: span.name !== undefined && span.name.length > 0 ? span.name : (span.tags['http.method'] ?? 'unknown'),
    kind: plan.otlpKind,
    startTimeUnixNano: nanosOf(plan.startMicros),
    endTimeUnixNano: nanosOf(plan.endMicros),
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    status: statusOfSpan(span, isServer),
  };
  return out;
}

/** The tags resource attributes are read from (attributes.ts resourceAttributesOf). */
const RESOURCE_TAGS = ['node_id', 'istio.namespace', 'istio.canonical_revision', 'zone', 'istio.mesh_id'] as const;

/** The span's resource, computed once per distinct workload identity in the call. */
function resourceOf(plan: Plan, cache: Map<string, { key: string; attributes: readonly KeyValue[] }>): { key: string; attributes: readonly KeyValue[] } {
  const span = plan.span;
  let identity = `${plan.localService}\u0000${span.localEndpoint?.ipv4 ?? ''}\u0000${span.localEndpoint?.ipv6 ?? ''}`;
  for (const tag of RESOURCE_TAGS) identity += `\u0000${span.tags[tag] ?? '\u0001'}`;
  let resource = cache.get(identity);
  if (resource === undefined) {
    const attributes = resourceAttributesOf(span, plan.localService);
    resource = { key: JSON.stringify(attributes), attributes };
    cache.set(identity, resource);
  }
  return resource;
}

