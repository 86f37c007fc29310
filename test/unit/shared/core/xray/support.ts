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

import { NOW_MS, START_MICROS, span } from '../../../../support/spans.ts';

export { NOW_MS, START_MICROS, span };

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
