/** Test helpers for shared/core/xray: build spans, translate, and validate every produced document. */
import assert from 'node:assert/strict';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { translateSpans } from '../../../../../shared/core/xray/translate.ts';
import type { TranslateContext, TranslateOutput } from '../../../../../shared/core/xray/translate.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/config.ts';
import type { TranslatorConfig } from '../../../../../shared/core/xray/config.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import type { EpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { validateSegmentJson, validateSegmentDocument } from '../../../../../shared/core/xray/validate.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';

/** 2024-03-01T12:00:00Z: the fixed clock of these tests. */
export const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);
/** A span start 10 s before NOW_MS. */
export const START_MICROS = (NOW_MS - 10_000) * 1000;

type MutableSpan = { -readonly [K in keyof Span]: Span[K] };

export function span(overrides: Partial<MutableSpan> = {}): Span {
  return {
    traceId: '65e1c3f0a1b2c3d4e5f60718293a4b5c',
    id: '1111111111111111',
    kind: 'SERVER',
    name: 'get /',
    timestampMicros: START_MICROS,
    durationMicros: 1500,
    localEndpoint: { serviceName: 'productpage.default', ipv4: '10.0.0.12', port: 0 },
    annotations: [],
    tags: {},
    ...overrides,
  };
}

export interface Translated {
  readonly output: TranslateOutput;
  readonly docs: SegmentDocument[];
}

export function translate(
  spans: readonly Span[],
  options: { config?: Partial<TranslatorConfig>; nowMs?: number; epochs?: EpochStore; deriveId?: TranslateContext['deriveId'] } = {},
): Translated {
  const ctx: TranslateContext = {
    config: { ...DEFAULT_TRANSLATOR_CONFIG, ...options.config },
    nowMs: options.nowMs ?? NOW_MS,
    epochs: options.epochs ?? new MemoryEpochStore(),
    ...(options.deriveId !== undefined ? { deriveId: options.deriveId } : {}),
  };
  const output = translateSpans(spans, ctx);
  return { output, docs: output.documents.map((d) => assertValidJson(d.json)) };
}

export function assertValidJson(json: string): SegmentDocument {
  const result = validateSegmentJson(json);
  assert.ok(result.ok, result.ok ? '' : `invalid document: ${formatIssues(result.issues)}\n${json.slice(0, 2000)}`);
  return result.value;
}

export function assertValidDocument(doc: unknown): void {
  const result = validateSegmentDocument(doc);
  assert.ok(result.ok, result.ok ? '' : formatIssues(result.issues));
}

export function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0] as T;
}
