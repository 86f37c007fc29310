/**
 * Bookinfo-like traces for the console tests: the golden Istio 1.7.4 Bookinfo trace
 * (test/fixtures/golden/bookinfo-istio-1.7.4.xray.ndjson, translated by meshray from a Zipkin capture)
 * re-stamped at chosen times with fresh ids, and varied: some requests hit reviews v1 (no ratings call),
 * some get a ratings fault (500), a details error (404) or a ratings throttle (429).
 */
import { readFileSync } from 'node:fs';
import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';

const GOLDEN = new URL('../../fixtures/golden/bookinfo-istio-1.7.4.xray.ndjson', import.meta.url);

export const goldenDocuments = (): string[] => readFileSync(GOLDEN, 'utf8').split('\n').filter((l) => l.trim() !== '');

export type Variant = 'ok' | 'v1' | 'ratings-fault' | 'details-error' | 'ratings-throttle';

/** The variant of the i-th generated trace. */
export function variantOf(i: number): Variant {
  if (i % 10 === 3) return 'ratings-fault';
  if (i % 10 === 7) return 'details-error';
  if (i % 10 === 9) return 'ratings-throttle';
  if (i % 3 === 0) return 'v1';
  return 'ok';
}

export interface GeneratedTrace {
  readonly traceId: string;
  readonly variant: Variant;
  readonly requestId: string;
  readonly documents: string[];
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);

function setStatus(doc: SegmentDocument, status: number, flag: 'fault' | 'error' | 'throttle'): void {
  if (doc.http?.response) doc.http.response.status = status;
  if (flag === 'fault') doc.fault = true;
  else doc.error = true;
  if (flag === 'throttle') doc.throttle = true;
  const zipkin = doc.metadata?.['zipkin'];
  if (zipkin) zipkin['tags'] = { 'http.status_code': String(status), ...(flag === 'fault' ? { error: 'true' } : {}) };
}

/** The i-th Bookinfo trace, starting at `startSec` (epoch seconds). */
export function bookinfoTrace(i: number, startSec: number): GeneratedTrace {
  const variant = variantOf(i);
  const golden = goldenDocuments().map((line) => JSON.parse(line) as SegmentDocument);
  const t0 = Math.min(...golden.map((d) => d.start_time));
  const scale = 0.6 + (i % 7) * 0.2;
  const epochHex = hex(Math.floor(startSec), 8);
  const uniqueHex = `${hex(i, 8)}${hex(i * 2654435761, 16)}`;
  const traceId = `1-${epochHex}-${uniqueHex}`;
  const zipkinTraceId = `${epochHex}${uniqueHex}`;
  const ids = new Map<string, string>();
  const idOf = (old: string): string => {
    let id = ids.get(old);
    if (!id) {
      id = `${hex(i, 6)}${old.slice(6)}`;
      ids.set(old, id);
    }
    return id;
  };
  const requestId = `req-${hex(i, 8)}-bookinfo`;
  const stamp = (t: number): number => Math.round((startSec + (t - t0) * scale) * 1e6) / 1e6;

  let docs = golden.map((doc) => {
    const copy = structuredClone(doc);
    copy.id = idOf(doc.id);
    copy.trace_id = traceId;
    if (doc.parent_id !== undefined) copy.parent_id = idOf(doc.parent_id);
    copy.start_time = stamp(doc.start_time);
    if (doc.end_time !== undefined) copy.end_time = stamp(doc.end_time);
    if (copy.annotations) copy.annotations['guid_x_request_id'] = requestId;
    const zipkin = copy.metadata?.['zipkin'];
    if (zipkin) {
      zipkin['traceId'] = zipkinTraceId;
      if (typeof zipkin['id'] === 'string') zipkin['id'] = idOf(zipkin['id']);
      if (typeof zipkin['parentId'] === 'string') zipkin['parentId'] = idOf(zipkin['parentId']);
    }
    return copy;
  });
  const ratings = docs.filter((d) => d.name === 'ratings.default');
  const details = docs.filter((d) => d.name === 'details.default');
  if (variant === 'v1') docs = docs.filter((d) => d.name !== 'ratings.default');
  if (variant === 'ratings-fault') for (const d of ratings) setStatus(d, 500, 'fault');
  if (variant === 'ratings-throttle') for (const d of ratings) setStatus(d, 429, 'throttle');
  if (variant === 'details-error') for (const d of details) setStatus(d, 404, 'error');
  return { traceId, variant, requestId, documents: docs.map((d) => JSON.stringify(d)) };
}

/** A two-document trace (gateway segment + its remote call) for volume tests. */
export function smallTrace(i: number, startSec: number): string[] {
  const traceId = `1-${hex(Math.floor(startSec), 8)}-${hex(i, 24)}`;
  const segmentId = `a${hex(i, 15)}`;
  const status = i % 50 === 0 ? 503 : 200;
  const end = startSec + 0.005 + (i % 100) / 1000;
  const http = { request: { method: 'GET', url: `http://bookinfo.example/productpage?i=${i}` }, response: { status } };
  return [
    JSON.stringify({ name: 'istio-ingressgateway', id: segmentId, trace_id: traceId, start_time: startSec, end_time: end, http, ...(status >= 500 ? { fault: true } : {}) }),
    JSON.stringify({
      name: 'productpage.default', id: `b${hex(i, 15)}`, trace_id: traceId, parent_id: segmentId, type: 'subsegment', namespace: 'remote',
      start_time: startSec + 0.0005, end_time: end - 0.0005, http, ...(status >= 500 ? { fault: true } : {}),
    }),
  ];
}
