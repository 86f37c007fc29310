/**
 * Zipkin v1 JSON (`POST /api/v1/spans`: `cs`/`sr`/`ss`/`cr` annotations with endpoints, `binaryAnnotations`)
 * → model spans, converted the way Zipkin's own `zipkin2.v1.V1SpanConverter` does. One v1 span can become two
 * model spans sharing an id: the CLIENT side and the SERVER side (`shared: true`).
 */
import type { Issue, Result } from '../result/result.ts';
import { ok } from '../result/result.ts';
import type { Annotation, Endpoint, Span, SpanKind } from './span.ts';
import { parseJsonArray } from './parse-json.ts';
import { readSpanBatch, strictBatch, type SpanBatch } from './batch.ts';
import {
  assembleSpan,
  isSpanObject,
  readObjectList,
  readEndpoint,
  readFlag,
  readLowercaseText,
  readSpanIds,
  readTiming,
  reportV2SpanInV1,
  setTag,
  type UnitRepairs,
} from './validate.ts';
import { describe, report, reportMissing } from './issues.ts';
import { readMicros, timestampUnitFactorOf } from './timestamps.ts';

interface V1Annotation {
  readonly timestampMicros: number;
  readonly value: string;
  readonly endpoint: Endpoint | undefined;
}

interface V1BinaryAnnotation {
  readonly key: string;
  /** The value as a tag; undefined for address annotations (`ca`, `sa`, `ma`). */
  readonly value: string | undefined;
  readonly endpoint: Endpoint | undefined;
}

interface V1Span {
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string | undefined;
  readonly name: string | undefined;
  /** 0 when absent, as in Zipkin's V1Span. */
  readonly timestampMicros: number;
  readonly durationMicros: number;
  readonly debug: boolean | undefined;
  readonly annotations: readonly V1Annotation[];
  readonly binaryAnnotations: readonly V1BinaryAnnotation[];
}

/** Decodes a v1 JSON list of spans; any invalid span fails the whole body with every issue found. */
export function decodeJsonV1(body: Uint8Array | string): Result<Span[]> {
  return strictBatch(decodeJsonV1Batch(body));
}

/**
 * Decodes a v1 JSON list span by span: only a body that is not a JSON array fails; a v1 span still invalid
 * after normalisation is refused alone (see batch.ts). A v1 span may give two model spans.
 */
export function decodeJsonV1Batch(body: Uint8Array | string): Result<SpanBatch> {
  const parsed = parseJsonArray(body);
  if (!parsed.ok) return parsed;
  return ok(readSpanBatch(parsed.value, 0, readSpanV1, convertV1Span));
}

function readSpanV1(value: unknown, base: string, issues: Issue[], repairs: UnitRepairs): V1Span | undefined {
  if (!isSpanObject(value, base, issues)) return undefined;
  const before = issues.length;
  const { traceId, id, parentId } = readSpanIds(value, base, issues);
  const name = readLowercaseText(value.name, base, 'name', issues);
  const timing = readTiming(value, base, issues, repairs);
  // 0 when absent, as in Zipkin's V1Span
  const timestampMicros = timing.timestampMicros ?? 0;
  const durationMicros = timing.durationMicros ?? 0;
  const debug = readFlag(value.debug, base, 'debug', issues);
  const annotations = readV1Annotations(value.annotations, base, issues, repairs);
  const binaryAnnotations = readV1BinaryAnnotations(value.binaryAnnotations, base, issues);
  reportV2SpanInV1(value, base, issues);
  if (traceId === undefined || id === undefined || issues.length !== before) return undefined;
  return { traceId, id, parentId, name, timestampMicros, durationMicros, debug, annotations, binaryAnnotations };
}

function readV1Annotations(value: unknown, base: string, issues: Issue[], repairs: UnitRepairs): V1Annotation[] {
  return readObjectList(value, base, 'annotations', issues, (item, at) => {
    const text = item.value;
    if (typeof text !== 'string' || text === '') {
      report(issues, base, `${at}.value`, `must be a non-empty string, got ${describe(text)}`);
    }
    const timestamp = item.timestamp;
    if (timestamp === undefined || timestamp === null || timestamp === 0) {
      reportMissing(issues, base, `${at}.timestamp`, 'is required in a v1 annotation');
      return undefined;
    }
    const factor = timestampUnitFactorOf(timestamp);
    if (factor !== 1) repairs.unit = true;
    // a negative timestamp reads as absent: the annotation carries no time and is dropped
    const timestampMicros = readMicros(timestamp, base, `${at}.timestamp`, issues, factor);
    if (timestampMicros === undefined) return undefined;
    const endpoint = readEndpoint(item.endpoint, base, `${at}.endpoint`, issues);
    return typeof text === 'string' && text !== '' ? { timestampMicros, value: text, endpoint } : undefined;
  });
}

function readV1BinaryAnnotations(value: unknown, base: string, issues: Issue[]): V1BinaryAnnotation[] {
  return readObjectList(value, base, 'binaryAnnotations', issues, (item, at): V1BinaryAnnotation | undefined => {
    const key = item.key;
    if (typeof key !== 'string' || key === '') {
      report(issues, base, `${at}.key`, `must be a non-empty string, got ${describe(key)}`);
      return undefined;
    }
    const endpoint = readEndpoint(item.endpoint, base, `${at}.endpoint`, issues);
    if (key === 'ca' || key === 'sa' || key === 'ma') return { key, value: undefined, endpoint };
    const raw = item.value;
    if (typeof raw === 'string') return { key, value: raw, endpoint };
    if (typeof raw === 'number' || typeof raw === 'boolean') return { key, value: String(raw), endpoint };
    if (raw !== undefined && raw !== null) {
      report(issues, base, `${at}.value`, `must be a string, number or boolean, got ${describe(raw)}`);
    }
    return undefined;
  });
}

/** A v2 span under construction, one per local endpoint found in the v1 span. */
interface Builder {
  localEndpoint: Endpoint | undefined;
  remoteEndpoint: Endpoint | undefined;
  kind: SpanKind | undefined;
  timestampMicros: number | undefined;
  durationMicros: number | undefined;
  shared: boolean;
  readonly annotations: Annotation[];
  readonly tags: Record<string, string>;
}

function newBuilder(localEndpoint: Endpoint | undefined): Builder {
  return {
    localEndpoint,
    remoteEndpoint: undefined,
    kind: undefined,
    timestampMicros: undefined,
    durationMicros: undefined,
    shared: false,
    annotations: [],
    tags: {},
  };
}

function sameServiceName(left: Endpoint | undefined, right: Endpoint | undefined): boolean {
  return left?.serviceName === right?.serviceName;
}

function sameEndpoint(left: Endpoint, right: Endpoint | undefined): boolean {
  return (
    right !== undefined &&
    left.serviceName === right.serviceName &&
    left.ipv4 === right.ipv4 &&
    left.ipv6 === right.ipv6 &&
    left.port === right.port
  );
}

/** A computed duration; Zipkin keeps no zero or negative duration. */
function positive(micros: number): number | undefined {
  return micros > 0 ? micros : undefined;
}

/** Port of `V1SpanConverter.convert`: appends the v2 spans of one v1 span to `sink`. */
function convertV1Span(source: V1Span, sink: Span[]): void {
  const first = newBuilder(undefined);
  const builders: Builder[] = [first];
  const fork = (endpoint: Endpoint): Builder => {
    const builder = newBuilder(endpoint);
    builders.push(builder);
    return builder;
  };
  /** The builder whose local endpoint has this service name, claiming an unassigned one, else a new one. */
  const forEndpoint = (endpoint: Endpoint | undefined): Builder => {
    if (endpoint === undefined) return first;
    for (const builder of builders) {
      if (builder.localEndpoint === undefined) {
        builder.localEndpoint = endpoint;
        return builder;
      }
      if (sameServiceName(builder.localEndpoint, endpoint)) return builder;
    }
    return fork(endpoint);
  };
  const maybeTimestampDuration = (begin: V1Annotation, end: V1Annotation | undefined): void => {
    const span = forEndpoint(begin.endpoint);
    if (source.timestampMicros !== 0 && source.durationMicros !== 0) {
      span.timestampMicros = source.timestampMicros;
      span.durationMicros = source.durationMicros;
    } else {
      span.timestampMicros = begin.timestampMicros;
      if (end !== undefined) span.durationMicros = positive(end.timestampMicros - begin.timestampMicros);
    }
  };
  const endReflectsSpanDuration = (end: V1Annotation | undefined): end is V1Annotation =>
    end !== undefined &&
    source.timestampMicros !== 0 &&
    source.durationMicros !== 0 &&
    source.timestampMicros + source.durationMicros === end.timestampMicros;

  // processAnnotations: core annotations set kinds and times; others are kept
  let cs: V1Annotation | undefined;
  let sr: V1Annotation | undefined;
  let ss: V1Annotation | undefined;
  let cr: V1Annotation | undefined;
  let ms: V1Annotation | undefined;
  let mr: V1Annotation | undefined;
  let ws: V1Annotation | undefined;
  let wr: V1Annotation | undefined;
  for (const a of source.annotations) {
    const current = forEndpoint(a.endpoint);
    // core annotations require an endpoint; without one they are ordinary annotations
    if (a.value.length === 2 && a.endpoint !== undefined) {
      switch (a.value) {
        case 'cs':
          current.kind = 'CLIENT';
          cs = a;
          continue;
        case 'sr':
          current.kind = 'SERVER';
          sr = a;
          continue;
        case 'ss':
          current.kind = 'SERVER';
          ss = a;
          continue;
        case 'cr':
          current.kind = 'CLIENT';
          cr = a;
          continue;
        case 'ms':
          current.kind = 'PRODUCER';
          ms = a;
          continue;
        case 'mr':
          current.kind = 'CONSUMER';
          mr = a;
          continue;
        case 'ws':
          ws = a;
          continue;
        case 'wr':
          wr = a;
          continue;
      }
    }
    current.annotations.push({ timestampMicros: a.timestampMicros, value: a.value });
  }

  // bridging from the event model can lose the start annotation
  if (cs === undefined && endReflectsSpanDuration(cr)) {
    cs = { timestampMicros: source.timestampMicros, value: 'cs', endpoint: cr.endpoint };
  }
  if (sr === undefined && endReflectsSpanDuration(ss)) {
    sr = { timestampMicros: source.timestampMicros, value: 'sr', endpoint: ss.endpoint };
  }

  if (cs !== undefined && sr !== undefined) {
    // a shared span: the client side owns the span's timestamp and duration
    maybeTimestampDuration(cs, cr);
    const client = forEndpoint(cs.endpoint);
    let server: Builder;
    if (sameServiceName(cs.endpoint, sr.endpoint)) {
      client.kind = 'CLIENT'; // loopback: fork a span for the server side
      server = fork(sr.endpoint as Endpoint);
      server.kind = 'SERVER';
    } else {
      server = forEndpoint(sr.endpoint);
    }
    server.shared = true;
    server.timestampMicros = sr.timestampMicros;
    if (ss !== undefined) server.durationMicros = positive(ss.timestampMicros - sr.timestampMicros);
    if (cr === undefined && source.durationMicros === 0) client.durationMicros = undefined; // one-way
  } else if (cs !== undefined && cr !== undefined) {
    maybeTimestampDuration(cs, cr);
  } else if (sr !== undefined && ss !== undefined) {
    maybeTimestampDuration(sr, ss);
  } else {
    // an incomplete RPC: keep what there is
    for (const builder of builders) {
      if (builder.kind === 'CLIENT') {
        if (cs !== undefined) builder.timestampMicros = cs.timestampMicros;
        if (cr !== undefined) builder.annotations.push({ timestampMicros: cr.timestampMicros, value: cr.value });
      } else if (builder.kind === 'SERVER') {
        if (sr !== undefined) builder.timestampMicros = sr.timestampMicros;
        if (ss !== undefined) builder.annotations.push({ timestampMicros: ss.timestampMicros, value: ss.value });
      }
    }
    if (source.timestampMicros !== 0) {
      first.timestampMicros = source.timestampMicros;
      first.durationMicros = source.durationMicros === 0 ? undefined : source.durationMicros;
    }
  }

  // v1 had no shared flag: an absent span timestamp on a server-only span meant "shared"
  if (cs === undefined && sr !== undefined && (source.timestampMicros === 0 || (ss !== undefined && source.durationMicros === 0))) {
    forEndpoint(sr.endpoint).shared = true;
  }

  if (ms !== undefined && mr !== undefined) {
    const producer = forEndpoint(ms.endpoint);
    let consumer: Builder;
    if (sameServiceName(ms.endpoint, mr.endpoint)) {
      producer.kind = 'PRODUCER'; // loopback: fork a span for the consumer side
      consumer = fork(mr.endpoint as Endpoint);
      consumer.kind = 'CONSUMER';
    } else {
      consumer = forEndpoint(mr.endpoint);
    }
    consumer.shared = true;
    if (wr !== undefined) {
      consumer.timestampMicros = wr.timestampMicros;
      consumer.durationMicros = positive(mr.timestampMicros - wr.timestampMicros);
    } else {
      consumer.timestampMicros = mr.timestampMicros;
    }
    producer.timestampMicros = ms.timestampMicros;
    producer.durationMicros = ws !== undefined ? positive(ws.timestampMicros - ms.timestampMicros) : undefined;
  } else if (ms !== undefined) {
    maybeTimestampDuration(ms, ws);
  } else if (mr !== undefined) {
    if (wr !== undefined) maybeTimestampDuration(wr, mr);
    else maybeTimestampDuration(mr, undefined);
  } else {
    if (ws !== undefined) forEndpoint(ws.endpoint).annotations.push({ timestampMicros: ws.timestampMicros, value: ws.value });
    if (wr !== undefined) forEndpoint(wr.endpoint).annotations.push({ timestampMicros: wr.timestampMicros, value: wr.value });
  }

  // processBinaryAnnotations: tags, and addresses as remote endpoints
  let ca: Endpoint | undefined;
  let sa: Endpoint | undefined;
  let ma: Endpoint | undefined;
  for (const b of source.binaryAnnotations) {
    if (b.key === 'ca') ca = b.endpoint;
    else if (b.key === 'sa') sa = b.endpoint;
    else if (b.key === 'ma') ma = b.endpoint;
    else {
      const current = forEndpoint(b.endpoint);
      // an empty "lc" (local component) is only a marker
      if (b.value !== undefined && !(b.key === 'lc' && b.value === '')) setTag(current.tags, b.key, b.value);
    }
  }
  const noCoreAnnotations = cs === undefined && cr === undefined && ss === undefined && sr === undefined;
  if (noCoreAnnotations && (ca !== undefined || sa !== undefined)) {
    if (ca !== undefined && sa !== undefined) {
      forEndpoint(ca).remoteEndpoint = sa;
    } else if (sa !== undefined) {
      forEndpoint(undefined).remoteEndpoint = sa; // "sa" alone is a remote address, not a client span
    } else if (ca !== undefined) {
      const server = forEndpoint(undefined);
      server.kind = 'SERVER';
      server.remoteEndpoint = ca;
    }
  } else {
    const server = sr ?? ss;
    if (ca !== undefined && server !== undefined && !sameEndpoint(ca, server.endpoint)) {
      // Finagle's "ca" on a server span carries the server's own service name: drop it to avoid loopback links
      let remote = ca;
      if (sameServiceName(ca, server.endpoint)) {
        const { serviceName: _dropped, ...rest } = ca;
        remote = rest;
      }
      forEndpoint(server.endpoint).remoteEndpoint = remote;
    }
    if (sa !== undefined) {
      if (cs !== undefined) forEndpoint(cs.endpoint).remoteEndpoint = sa;
      else if (cr !== undefined) forEndpoint(cr.endpoint).remoteEndpoint = sa;
    }
    if (ma !== undefined) {
      if (ms !== undefined) forEndpoint(ms.endpoint).remoteEndpoint = ma;
      else if (mr !== undefined) forEndpoint(mr.endpoint).remoteEndpoint = ma;
    }
  }

  for (const builder of builders) {
    sink.push(
      assembleSpan({
        traceId: source.traceId,
        id: source.id,
        parentId: source.parentId,
        kind: builder.kind,
        name: source.name,
        timestampMicros: builder.timestampMicros,
        durationMicros: builder.durationMicros,
        localEndpoint: builder.localEndpoint,
        remoteEndpoint: builder.remoteEndpoint,
        annotations: builder.annotations,
        tags: builder.tags,
        debug: source.debug,
        shared: builder.shared,
      }),
    );
  }
}
