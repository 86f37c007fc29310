/** What an operator can tune in the translator. Everything else is fixed by X-Ray's limits. */

/**
 * How the first 8 hex digits of the X-Ray trace id (its epoch second) are chosen:
 * - `auto`: keep the Zipkin id's first 8 hex digits when they read as an epoch second inside the accepted
 *   window (28 days back to 5 minutes ahead of now), else rewrite them;
 * - `rewrite`: always use the start second of the first span seen for the trace;
 * - `preserve`: never touch them (X-Ray drops traces whose epoch is outside its window).
 */
export type EpochPolicy = 'auto' | 'rewrite' | 'preserve';

export interface TranslatorConfig {
  readonly epochPolicy: EpochPolicy;
  /** How far in the past an epoch may lie and still be kept by `auto`. */
  readonly epochMaxAgeMs: number;
  /** How far in the future an epoch may lie and still be kept by `auto`. */
  readonly epochMaxAheadMs: number;
  /** Sliding TTL of a remembered trace id in the epoch store (read by whoever builds the store). */
  readonly epochTtlMs: number;
  /** Bound of the in-memory epoch store (read by whoever builds the store). */
  readonly epochCacheMaxEntries: number;
  /** Tags copied to (indexed, filterable) annotations; at most 50 are used per document. */
  readonly annotationAllowlist: readonly string[];
  /** Largest serialized document emitted; X-Ray's limit is 64 KB. Lower it only to test trimming. */
  readonly maxDocumentBytes: number;
  /** PACKING=on: the pipeline nests subsegments in their parents' documents (pack.ts). */
  readonly packing: boolean;
}

export const DEFAULT_ANNOTATION_ALLOWLIST: readonly string[] = Object.freeze([
  'istio.canonical_service',
  'istio.canonical_revision',
  'istio.namespace',
  'istio.mesh_id',
  'istio.waypoint',
  'upstream_cluster',
  'response_flags',
  'guid:x-request-id',
  'node_id',
  'zone',
  'component',
  'request_size',
  'response_size',
]);

export const DEFAULT_TRANSLATOR_CONFIG: TranslatorConfig = Object.freeze({
  epochPolicy: 'auto',
  epochMaxAgeMs: 28 * 24 * 60 * 60 * 1000,
  epochMaxAheadMs: 5 * 60 * 1000,
  epochTtlMs: 60_000,
  epochCacheMaxEntries: 100_000,
  annotationAllowlist: DEFAULT_ANNOTATION_ALLOWLIST,
  maxDocumentBytes: 64 * 1024,
  packing: false,
});
