import type { ErrorCode } from '../../../shared/errors/index.ts';

/** A document X-Ray refused for good: it is dead-lettered with its reason, never silently dropped. */
export interface RejectedDocument {
  /** Index into the `documents` given to `put`. */
  readonly index: number;
  readonly code: ErrorCode;
  /** X-Ray's error code (e.g. `InvalidSegment`) or the call error's name. */
  readonly reason: string;
  readonly message: string;
}

/** Every document not listed in `rejected` was accepted. */
export interface PutOutcome {
  readonly rejected: readonly RejectedDocument[];
}

/** Lets a long export keep the consumer's group membership and notice it should give up. */
export interface ExportControl {
  heartbeat(): Promise<void>;
  isActive(): boolean;
}

/**
 * Port: where segment documents go. `put` resolves once every document is accepted or rejected for good;
 * it throws a retryable MeshrayError (XRAY_THROTTLED, XRAY_UNAVAILABLE, NOT_READY) when it gave up
 * retrying: the caller then commits nothing and the records are redelivered.
 */
export interface SegmentSink {
  put(documents: readonly string[], control?: ExportControl): Promise<PutOutcome>;
}
