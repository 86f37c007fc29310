/** Test helpers for shared/core/otlp: the Bookinfo fixture decoded, and spans to build cases from. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSpans, detectFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';
import type { KeyValue, OtlpSpan, ExportTraceServiceRequest } from '../../../../../shared/core/otlp/index.ts';

export const fixtures = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));

/** 2019-06-21T18:30:00Z: five minutes after the Bookinfo trace (2019-06-21T18:25:08Z). */
export const BOOKINFO_NOW_MS = Date.UTC(2019, 5, 21, 18, 30, 0);

export function decodeFixture(file: string): Span[] {
  const bytes = readFileSync(`${fixtures}zipkin/${file}`);
  const format = detectFormat(bytes, 'application/json');
  assert.ok(format !== undefined);
  const result = decodeSpans(bytes, format);
  assert.ok(result.ok, result.ok ? '' : formatIssues(result.issues));
  return result.value;
}

export const bookinfoSpans = (): Span[] => decodeFixture('SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json');

import { NOW_MS, START_MICROS, span } from '../../../../support/spans.ts';

export { NOW_MS, START_MICROS, span };

export interface FlatSpan {
  readonly span: OtlpSpan;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

const plain = (kv: KeyValue): unknown => {
  const v = kv.value as Record<string, unknown>;
  if ('intValue' in v) return Number(v['intValue']);
  if ('arrayValue' in v) return (v['arrayValue'] as { values: { stringValue: string }[] }).values.map((x) => x.stringValue);
  return Object.values(v)[0];
};

export const flat = (kvs: readonly KeyValue[]): Record<string, unknown> => Object.fromEntries(kvs.map((kv) => [kv.key, plain(kv)]));

/** Every span of the requests with its resource and attributes as plain maps. */
export function flatSpans(requests: readonly ExportTraceServiceRequest[]): FlatSpan[] {
  const out: FlatSpan[] = [];
  for (const request of requests) {
    for (const rs of request.resourceSpans) {
      const resource = flat(rs.resource.attributes);
      for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push({ span: s, resource, attributes: flat(s.attributes) });
    }
  }
  return out;
}
