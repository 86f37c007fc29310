/**
 * The pure translator: Zipkin spans (meshray's span model) → X-Ray segment documents, serialized.
 * No I/O, no clock (`nowMs` is an input), no randomness; the same spans give byte-identical documents.
 *
 * Shape (per span, in input order):
 * - SERVER / CONSUMER → segment named after the local workload, `parent_id` = Zipkin parentId.
 * - CLIENT / PRODUCER with a parent → independent remote subsegment named after the called service,
 *   id = span id, `parent_id` = Zipkin parentId. The called service comes from the span (span-kind.ts);
 *   if the span names none, from the SERVER span it reached when that is in the same batch, else `unknown`.
 * - root CLIENT / PRODUCER (a gateway) → a segment for the local workload (derived id) plus a remote
 *   subsegment with id = span id whose parent is that segment; the called server's span, whose Zipkin
 *   parentId is this span id, therefore hangs off the remote subsegment in X-Ray, in any batch.
 * - no kind → segment when root, else a plain (non-remote) subsegment named after the operation.
 * - a SERVER sharing its id with its CLIENT (`shared`, or a CLIENT with the same id in the batch) gets a
 *   derived id and the client's span id as parent; same-service children in the batch are re-linked.
 */
import type { Span } from '../zipkin/span.ts';
import type { Issue } from '../result/result.ts';
import type { Http, SegmentDocument } from './segment-document.ts';
import type { TranslatorConfig } from './config.ts';
import type { EpochStore } from './epoch-store.ts';
import { deriveIdByHash, sharedServerRole } from './ids.ts';
import type { DeriveId } from './ids.ts';
import { proposeXrayTraceId } from './trace-id.ts';
import type { EpochWindow } from './trace-id.ts';
import { localServiceOf, remoteServiceOf } from './span-kind.ts';
import { planSpan, SPAN_HEX, type SpanPlan } from './plan.ts';
import { sanitizeName } from './names.ts';
import { documentTagsOf, rootCallerOf } from './istio-naming.ts';
import { buildHttp, statusOf } from './http.ts';
import { flagsOf, causeOf } from './flags.ts';
import type { Flags } from './flags.ts';
import { serializeTags } from './annotations.ts';
import { fitDocument, fitsBytes } from './limits.ts';
import type { FittedDocument } from './limits.ts';
import { flatJson, JsonObjectWriter, secondsJson } from './json.ts';
import { httpJsonOf, zipkinMetadataJsonOf } from './serialize.ts';

export interface TranslateContext {
  readonly config: TranslatorConfig;
  readonly nowMs: number;
  readonly epochs: EpochStore;
  /** Id derivation for documents without a span id of their own; default FNV-1a 64 of `${spanId}:${role}`. */
  readonly deriveId?: DeriveId;
}

export interface TranslatedDocument {
  /** Index of the span (in the input) the document came from; a root CLIENT span yields two documents. */
  readonly spanIndex: number;
  readonly segmentId: string;
  readonly traceId: string;
  readonly json: string;
  /** The document's `parent_id`, when it has one. */
  readonly parentId?: string;
  /** True for an independent subsegment (`"type":"subsegment"`), which pack.ts may nest in its parent. */
  readonly subsegment: boolean;
  /** The document's `start_time`, in microseconds (pack.ts orders nested subsegments by it). */
  readonly startMicros: number;
}

/**
 * Why a span gave no document: bad ids, no time, a derived id that broke its contract, no document under
 * 64 KB, or (EPOCH_POLICY=preserve) a trace id epoch X-Ray refuses (`epoch_out_of_window`).
 */
export type RejectReason = 'invalid_id' | 'no_timestamp' | 'invalid_derived_id' | 'too_large' | 'epoch_out_of_window';

export interface RejectedSpan {
  readonly spanIndex: number;
  readonly reason: RejectReason;
  readonly issues: readonly Issue[];
}

export interface TranslateStats {
  /** X-Ray trace ids minted with a rewritten epoch (once per trace while the epoch store remembers it). */
  epochRewrites: number;
  /** Documents whose metadata (and, if need be, annotations) were trimmed to fit 64 KB. */
  metadataTrimmed: number;
  /** Spans whose kind was repaired from `upstream_cluster`. */
  kindRepaired: number;
}

export interface TranslateOutput {
  readonly documents: TranslatedDocument[];
  readonly rejected: RejectedSpan[];
  readonly stats: TranslateStats;
}

interface Plan extends SpanPlan {
  localService?: string | undefined;
  /** Derived id of a SERVER span that shares its id with its CLIENT. */
  sharedServerId?: string;
  /** The injected deriveId broke its contract for this span. */
  derivedIdFailed?: boolean;
}

/**
 * Translates one batch of spans (any traces, any order) into X-Ray segment documents, shaped as the module
 * header says. Pure and deterministic: `ctx.nowMs` (epoch ms) dates the epoch window, `ctx.epochs` remembers
 * each trace's X-Ray id (`1-xxxxxxxx-…`) across batches, `ctx.deriveId` makes the ids of documents without a
 * span id of their own. Returns the documents in input order (`spanIndex` into `spans`), the spans that gave
 * none with their reason (`rejected`: never a throw), and counts. Rules: X-Ray Developer Guide, "Segment
 * documents" (fields, 64 KB), "Sending trace data" (trace id epoch window); Zipkin's model (zipkin2.Span).
 */
export function translateSpans(spans: readonly Span[], ctx: TranslateContext): TranslateOutput {
  const deriveId = ctx.deriveId ?? deriveIdByHash;
  const stats: TranslateStats = { epochRewrites: 0, metadataTrimmed: 0, kindRepaired: 0 };
  const documents: TranslatedDocument[] = [];
  const rejected: RejectedSpan[] = [];
  const window: EpochWindow = {
    policy: ctx.config.epochPolicy,
    nowMs: ctx.nowMs,
    maxAgeMs: ctx.config.epochMaxAgeMs,
    maxAheadMs: ctx.config.epochMaxAheadMs,
  };

  // Pass 1: check ids and time, resolve kinds, note CLIENT span ids.
  const plans: (Plan | undefined)[] = new Array<Plan | undefined>(spans.length);
  let clientIds: Set<string> | undefined;
  let anyServer = false;
  for (let index = 0; index < spans.length; index += 1) {
    const span = spans[index] as Span;
    const planned = planSpan(span, index);
    if (!planned.ok) {
      rejected.push({ spanIndex: index, reason: planned.reason, issues: planned.issues });
      continue;
    }
    const plan: Plan = planned.plan; // a fresh object: its translator-local fields are filled in below
    plans[index] = plan;
    if (plan.repairedFrom !== undefined) stats.kindRepaired += 1;
    if (plan.role === 'client') (clientIds ??= new Set()).add(`${plan.traceKey}:${span.id}`);
    else if (plan.role === 'server') anyServer = true;
  }

  // Pass 2: SERVER spans that share their id with their CLIENT get a derived id; note re-links.
  let relinks: Map<string, string> | undefined;
  if (anyServer) {
    for (const plan of plans) {
      if (plan === undefined || plan.role !== 'server') continue;
      const span = plan.span;
      const sharesId =
        clientIds?.has(`${plan.traceKey}:${span.id}`) === true || (span.shared === true && span.parentId !== undefined);
      if (!sharesId) continue;
      plan.localService = localServiceOf(span);
      const derived = checkedDerivedId(deriveId, span.id, sharedServerRole(plan.localService));
      if (derived === undefined) {
        plan.derivedIdFailed = true;
        continue;
      }
      plan.sharedServerId = derived;
      (relinks ??= new Map()).set(`${plan.traceKey}:${span.id}:${plan.localService ?? ''}`, derived);
    }
  }

  // Pass 3: emit, in input order.
  const traceIds = new Map<string, string>();
  const callees: CalleeIndex = { plans, byCaller: undefined };
  const allowlist = ctx.config.annotationAllowlist;
  const maxBytes = ctx.config.maxDocumentBytes;
  for (const plan of plans) {
    if (plan === undefined) continue;
    const { span, index } = plan;
    let xrayTraceId = traceIds.get(plan.traceKey);
    if (xrayTraceId === undefined) {
      xrayTraceId = ctx.epochs.recall(plan.traceKey, ctx.nowMs);
      if (xrayTraceId === undefined) {
        const candidate = proposeXrayTraceId(span.traceId, plan.startMicros, window);
        if (candidate === undefined) {
          rejected.push({ spanIndex: index, reason: 'epoch_out_of_window', issues: [{ path: `spans[${index}].traceId`, message: `EPOCH_POLICY=preserve keeps the epoch ${span.traceId.padStart(32, '0').slice(0, 8)}, outside X-Ray's window (28 days back to 5 minutes ahead): X-Ray would refuse the trace id` }] });
          continue;
        }
        xrayTraceId = ctx.epochs.remember(plan.traceKey, candidate.xrayTraceId, ctx.nowMs);
        if (candidate.rewritten && xrayTraceId === candidate.xrayTraceId) stats.epochRewrites += 1;
      }
      traceIds.set(plan.traceKey, xrayTraceId);
    }

    let parentId = span.parentId;
    if (parentId !== undefined && relinks !== undefined) {
      plan.localService ??= localServiceOf(span);
      const relinked = relinks.get(`${plan.traceKey}:${parentId}:${plan.localService ?? ''}`);
      if (relinked !== undefined && relinked !== plan.sharedServerId) parentId = relinked;
    }

    const shapes = plan.derivedIdFailed === true ? undefined : shapeSpan(plan, parentId, deriveId, callees);
    if (shapes === undefined) {
      rejected.push({ spanIndex: index, reason: 'invalid_derived_id', issues: [{ path: `spans[${index}].id`, message: 'deriveId returned an id that is not 16 hex digits or equals the span id' }] });
      continue;
    }
    const tail = tailJsonOf(plan, allowlist);
    const flags = flagsOf(span.tags, statusOf(span.tags));
    const out: TranslatedDocument[] = [];
    let tooLarge = false;
    for (const shape of shapes) {
      const head = headJsonOf(shape, xrayTraceId, plan, flags, deriveId);
      if (head === undefined) {
        tooLarge = true; // unreachable with a valid deriveId; treated as a rejection, not a throw
        break;
      }
      const fitted = serializeDocument(head, tail, maxBytes);
      if (fitted === undefined) {
        tooLarge = true;
        break;
      }
      if (fitted.trimmed) stats.metadataTrimmed += 1;
      out.push({
        spanIndex: index, segmentId: shape.id, traceId: xrayTraceId, json: fitted.json,
        ...(shape.parentId === undefined ? {} : { parentId: shape.parentId }), subsegment: shape.subsegment, startMicros: plan.startMicros,
      });
    }
    if (tooLarge) {
      rejected.push({ spanIndex: index, reason: 'too_large', issues: [{ path: `spans[${index}]`, message: `no document under ${maxBytes} bytes could be made, even without metadata and annotations` }] });
      continue;
    }
    for (const d of out) documents.push(d);
  }
  return { documents, rejected, stats };
}

function checkedDerivedId(deriveId: DeriveId, spanId: string, role: string): string | undefined {
  const id = deriveId(spanId, role);
  return typeof id === 'string' && SPAN_HEX.test(id) && id !== spanId ? id : undefined;
}

interface Shape {
  readonly name: string;
  readonly id: string;
  readonly parentId: string | undefined;
  readonly subsegment: boolean;
  readonly remote: boolean;
  /** `peer.address` is the caller only on the receiving side. */
  readonly clientIp: boolean;
  /** Role for the cause exception id. */
  readonly causeRole: string;
}

/**
 * `${traceKey}:${callerSpanId}` → local service of the SERVER span that call reached, from the batch
 * (the SERVER's parentId, or its own id when it shares the CLIENT's). Names a CLIENT span's remote service
 * when the span itself does not say (no upstream_cluster, remoteEndpoint, url or peer). First one wins.
 * Built on first use: most batches never need it.
 */
interface CalleeIndex {
  readonly plans: readonly (Plan | undefined)[];
  byCaller: Map<string, string> | undefined;
}

function calleeServiceOf(callees: CalleeIndex, key: string): string | undefined {
  callees.byCaller ??= indexCallees(callees.plans);
  return callees.byCaller.get(key);
}

function indexCallees(plans: readonly (Plan | undefined)[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const plan of plans) {
    if (plan === undefined || plan.role !== 'server') continue;
    const caller = plan.sharedServerId !== undefined ? plan.span.id : plan.span.parentId;
    if (caller === undefined) continue;
    const service = (plan.localService ??= localServiceOf(plan.span));
    const key = `${plan.traceKey}:${caller}`;
    if (service !== undefined && !index.has(key)) index.set(key, service);
  }
  return index;
}

/** Sanitised name of the workload that recorded the span. */
function localNameOf(plan: Plan): string {
  return sanitizeName((plan.localService ??= localServiceOf(plan.span)));
}

function shapeSpan(plan: Plan, parentId: string | undefined, deriveId: DeriveId, callees: CalleeIndex): Shape[] | undefined {
  const span = plan.span;
  switch (plan.role) {
    case 'server':
      if (plan.sharedServerId !== undefined) {
        return [{ name: localNameOf(plan), id: plan.sharedServerId, parentId: span.id, subsegment: false, remote: false, clientIp: true, causeRole: 'cause' }];
      }
      if (parentId === undefined) {
        // A root waypoint span: its caller (istio.source_*) becomes a segment in front of it (istio-naming.ts).
        const caller = rootCallerOf(span);
        const callerId = caller === undefined ? undefined : checkedDerivedId(deriveId, span.id, 'caller');
        if (caller !== undefined && callerId === undefined) return undefined;
        if (callerId !== undefined) {
          return [
            { name: sanitizeName(caller), id: callerId, parentId: undefined, subsegment: false, remote: false, clientIp: false, causeRole: 'cause:caller' },
            { name: localNameOf(plan), id: span.id, parentId: callerId, subsegment: false, remote: false, clientIp: true, causeRole: 'cause' },
          ];
        }
      }
      return [{ name: localNameOf(plan), id: span.id, parentId, subsegment: false, remote: false, clientIp: true, causeRole: 'cause' }];
    case 'client': {
      const remoteService = remoteServiceOf(span) ?? calleeServiceOf(callees, `${plan.traceKey}:${span.id}`);
      const remote: Shape = { name: sanitizeName(remoteService), id: span.id, parentId, subsegment: true, remote: true, clientIp: false, causeRole: 'cause' };
      if (parentId !== undefined) return [remote];
      const segmentId = checkedDerivedId(deriveId, span.id, 'local');
      if (segmentId === undefined) return undefined;
      return [
        { name: localNameOf(plan), id: segmentId, parentId: undefined, subsegment: false, remote: false, clientIp: false, causeRole: 'cause:local' },
        { ...remote, parentId: segmentId },
      ];
    }
    case 'none':
      if (parentId === undefined) {
        return [{ name: localNameOf(plan), id: span.id, parentId: undefined, subsegment: false, remote: false, clientIp: true, causeRole: 'cause' }];
      }
      return [{ name: span.name !== undefined && span.name.length > 0 ? sanitizeName(span.name) : localNameOf(plan), id: span.id, parentId, subsegment: true, remote: false, clientIp: false, causeRole: 'cause' }];
  }
}

/**
 * The document's members before its annotations (`{"name":…,…,"cause":{…}`, left open): what differs
 * between the documents of one span. Written in SegmentDocument's field order.
 */
function headJsonOf(shape: Shape, traceId: string, plan: Plan, flags: Flags, deriveId: DeriveId): string | undefined {
  const w = new JsonObjectWriter()
    .string('name', shape.name)
    .string('id', shape.id)
    .string('trace_id', traceId)
    .raw('start_time', secondsJson(plan.startMicros))
    .raw('end_time', secondsJson(plan.endMicros));
  if (shape.parentId !== undefined) w.string('parent_id', shape.parentId);
  if (shape.subsegment) w.raw('type', '"subsegment"');
  if (shape.remote) w.raw('namespace', '"remote"');
  const http: Http | undefined = buildHttp(plan.span.tags, shape.clientIp);
  if (http !== undefined) w.raw('http', httpJsonOf(http));
  if (flags.error) w.raw('error', 'true');
  if (flags.throttle) w.raw('throttle', 'true');
  if (flags.fault) w.raw('fault', 'true');
  if (flags.causeMessage !== undefined) {
    // From the document's own id: the CLIENT subsegment and the SERVER segment(s) sharing one span id are
    // distinct documents, and X-Ray wants exception ids unique in a trace (found by review). A document whose id
    // is the span id derives what it always did.
    const exceptionId = checkedDerivedId(deriveId, shape.id, shape.causeRole);
    if (exceptionId === undefined) return undefined;
    w.raw('cause', JSON.stringify(causeOf(exceptionId, flags.causeMessage)));
  }
  return `{${w.members()}`;
}

/** `"annotations":{…},"metadata":{…}`: the members that close every document of a span, serialized once. */
function tailJsonOf(plan: Plan, allowlist: readonly string[]): string {
  const tags = serializeTags(documentTagsOf(plan.span), allowlist);
  let metadata = tags.metadataMembers === '' ? '' : `${tags.metadataMembers},`;
  metadata += `"zipkin":${zipkinMetadataJsonOf(plan.span)}`;
  if (plan.repairedFrom !== undefined) {
    metadata += `,"meshray":${JSON.stringify({ kindRepaired: { from: plan.repairedFrom, to: plan.role === 'server' ? 'SERVER' : 'CLIENT' } })}`;
  }
  return tags.annotations === undefined ? `"metadata":{${metadata}}` : `"annotations":${tags.annotations},"metadata":{${metadata}}`;
}

/**
 * The document's JSON, flat (flatJson): the head with the span's tail spliced in. Only a document over `maxBytes` is read
 * back into an object (JSON round-trips it exactly) and trimmed.
 */
function serializeDocument(headJson: string, tailJson: string, maxBytes: number): FittedDocument | undefined {
  const json = flatJson(`${headJson},${tailJson}}`);
  if (fitsBytes(json, maxBytes)) return { json, trimmed: false };
  return fitDocument(JSON.parse(json) as SegmentDocument, maxBytes);
}
