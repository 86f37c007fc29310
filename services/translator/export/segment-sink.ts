import type { ErrorCode } from '../../../shared/edge/errors/index.ts';
import type { BatchControl } from '../consume/span-source.ts';

/** A document X-Ray refused for good: it is dead-lettered with its reason, never silently dropped. */
export interface RejectedDocument {
  /** Index into the `documents` given to `put`. */
  readonly index: number;
  readonly code: ErrorCode;
  /** X-Ray's error code (e.g. `InvalidSegment`) or the call error's name. */
  readonly reason: string;
  readonly message: string;
}

/** Documents still not accepted when the sink gave up retrying (or was told to stop). */
export interface UnfinishedDocuments {
  /** Retryable: XRAY_THROTTLED, XRAY_UNAVAILABLE, or NOT_READY (consumer stopping / partition revoked). */
  readonly code: ErrorCode;
  readonly message: string;
  /** Indices into the `documents` given to `put`. */
  readonly indices: readonly number[];
}

/** Every document listed in neither `rejected` nor `unfinished` was accepted. */
export interface PutOutcome {
  readonly rejected: readonly RejectedDocument[];
  /** Present when some documents are still pending: the caller must not commit them (redelivery). */
  readonly unfinished?: UnfinishedDocuments;
}

/**
 * Port: where segment documents go. `put` resolves once every document is accepted, rejected for good, or
 * left `unfinished` after the retries ran out: the caller then commits nothing past them and they are
 * redelivered (the accepted ones need not be sent again). `control` is the source's BatchControl: a long
 * export heartbeats the consumer through it and gives up once it is no longer active.
 */
export interface SegmentSink {
  put(documents: readonly string[], control?: BatchControl): Promise<PutOutcome>;
}
