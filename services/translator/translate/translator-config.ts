import { DEFAULT_TRANSLATOR_CONFIG, type TranslatorConfig } from '../../../shared/core/xray/index.ts';
import type { TranslatorEnvConfig } from '../config.ts';

/** The pure translator's settings from the service's environment. */
export function translatorConfigOf(env: Pick<TranslatorEnvConfig, 'EPOCH_POLICY' | 'EPOCH_TTL' | 'EPOCH_CACHE_MAX_ENTRIES' | 'ANNOTATION_TAGS' | 'PACKING'>): TranslatorConfig {
  return {
    ...DEFAULT_TRANSLATOR_CONFIG,
    epochPolicy: env.EPOCH_POLICY,
    epochTtlMs: env.EPOCH_TTL,
    epochCacheMaxEntries: env.EPOCH_CACHE_MAX_ENTRIES,
    annotationAllowlist: env.ANNOTATION_TAGS ?? DEFAULT_TRANSLATOR_CONFIG.annotationAllowlist,
    packing: env.PACKING === 'on',
  };
}
