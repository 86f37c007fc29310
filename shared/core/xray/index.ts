/** shared/core/xray: the pure Zipkin → X-Ray translator and the segment document validator. */
export { translateSpans } from './translate.ts';
export { documentsAsIs, packDocuments } from './pack.ts';
export type { PackedDocument, PackOutput } from './pack.ts';
export type { TranslateContext, TranslateOutput, TranslatedDocument, RejectedSpan, RejectReason, TranslateStats } from './translate.ts';
export { DEFAULT_TRANSLATOR_CONFIG, DEFAULT_ANNOTATION_ALLOWLIST } from './config.ts';
export type { TranslatorConfig, EpochPolicy } from './config.ts';
export { epochStoreAt, MemoryEpochStore } from './epoch-store.ts';
export type { EpochStore, MemoryEpochStoreOptions } from './epoch-store.ts';
export { deriveIdByHash } from './ids.ts';
export type { DeriveId } from './ids.ts';
export { startMicrosOf, traceKeyOf } from './trace-id.ts';
export { validateSegmentDocument, validateSegmentJson } from './validate.ts';
export { MAX_DOCUMENT_BYTES } from './limits.ts';
export type * from './segment-document.ts';
