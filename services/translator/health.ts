import type { ErrorCode } from '../../shared/edge/errors/index.ts';
import type { HealthCheck } from '../../shared/edge/http/ops-routes.ts';

/** What liveness needs to know of the export (ExportHealth). */
export interface ExportState {
  /**
   * Milliseconds, since this health began, during which the export was failing (ExportHealth: from a failed
   * call to the next success, each failure covering at most FAILURE_COVER_MS after it). Monotonic.
   */
  excusedMs(): number;
}

/** One partition's progress, as liveness sees it. */
interface PartitionProgress {
  /** Records behind the high watermark, as last seen. */
  lag: number;
  /** The offset last committed (the next one to consume); undefined before the first commit seen. */
  committedAt: bigint | undefined;
  /** When this partition last made progress (a commit moving its offset), or when its lag appeared after none. */
  progressAtMs: number;
  /** The export's excusedMs() at progressAtMs. */
  excusedAtProgressMs: number;
}

/**
 * Consumer health. Ready = joined the consumer group (not while the consumer is interrupted: crashed,
 * stopped by kafkajs, or rebuilt, until it joins again). Live fails when the consumer stopped making
 * progress: interrupted and not rejoined for `stallTimeoutMs`, or **any one partition** has lag but its committed
 * offset has not moved for `stallTimeoutMs` (judged per partition: one partition stuck behind a record it cannot
 * finish, while the others commit, is a stall; found by the diff review of 2026-12-04). The time the export spent
 * failing (`exportState`) does not count towards a stall: X-Ray down is not the consumer's fault, a restart would
 * not bring it back, and every restart rebalances the group; readiness (ExportHealth) reports the outage. Only
 * failing time counts out: a stuck consumer that makes no more calls after one failure, or one whose calls fail
 * briefly now and then, still fails liveness.
 */
export class ConsumerHealth {
  readonly #stallTimeoutMs: number;
  readonly #now: () => number;
  readonly #exportState: ExportState | undefined;
  #joined = false;
  #interrupted: { readonly reason: string; readonly sinceMs: number } | undefined;
  readonly #partitions = new Map<number, PartitionProgress>();
  /** Partitions revoked and not seen by a fetch since: a commit resolving late there is not tracked again. */
  readonly #revoked = new Set<number>();

  constructor(options: { stallTimeoutMs: number; now: () => number; exportState?: ExportState }) {
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.#now = options.now;
    this.#exportState = options.exportState;
  }

  #partition(partition: number): PartitionProgress {
    let p = this.#partitions.get(partition);
    if (p === undefined) {
      p = { lag: 0, committedAt: undefined, progressAtMs: 0, excusedAtProgressMs: 0 };
      this.#progressed(p);
      this.#partitions.set(partition, p);
    }
    return p;
  }

  #progressed(p: PartitionProgress): void {
    p.progressAtMs = this.#now();
    p.excusedAtProgressMs = this.#exportState?.excusedMs() ?? 0;
  }

  /** Why the consumer has not started yet (Kafka unreachable, the span topic absent); undefined once that is over. */
  #waiting: string | undefined;

  joined(): void { this.#joined = true; this.#interrupted = undefined; this.#waiting = undefined; }
  /** Start-up waits for `problem` (untilKafkaAnswers' onProblem): /health/ready says so; undefined: no longer. */
  waiting(problem: string | undefined): void { this.#waiting = problem; }
  left(): void { this.#joined = false; }
  /** The consumer crashed or stopped on its own (`reason`); unready until it joins the group again. */
  interrupted(reason: string): void {
    this.#joined = false;
    this.#interrupted = { reason, sinceMs: this.#interrupted?.sinceMs ?? this.#now() };
  }

  /** Records a partition's lag (records behind the high watermark) after a fetch or commit. */
  lag(partition: number, records: number): void {
    this.#revoked.delete(partition);
    const p = this.#partition(partition);
    if (records > 0 && p.lag === 0) this.#progressed(p); // lag appearing after none starts the partition's clock
    p.lag = Math.max(0, records);
  }

  /**
   * Offset `next` (the next record to consume, Kafka's committed position) was committed in `partition`. Only a
   * commit that moves the partition's offset is progress, and only for that partition: a handler retrying a record
   * it cannot finish commits the same offset again on every delivery (a poison span whose dead letter cannot be
   * written: the newcomer trial found the partition stuck 8 records behind and /health/live green for minutes).
   */
  committed(partition: number, next: string): void {
    if (this.#revoked.has(partition)) return; // a commit resolving after the partition was revoked (found by the diff review)
    const at = BigInt(next);
    const p = this.#partition(partition);
    // only the same offset again is not progress: offsets that went back (the span topic deleted and made again)
    // start over, and their commits are (found by the diff review: liveness failed for good after that)
    if (p.committedAt === at) return;
    p.committedAt = at;
    this.#progressed(p);
  }

  revoked(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.#partitions.delete(p);
      this.#revoked.add(p);
    }
  }

  readonly live: HealthCheck = () => {
    const now = this.#now();
    const outMs = this.#interrupted === undefined ? 0 : now - this.#interrupted.sinceMs;
    if (this.#interrupted !== undefined && outMs > this.#stallTimeoutMs) {
      return `consumer out of the group for ${outMs} ms: ${this.#interrupted.reason}`;
    }
    const excusedNowMs = this.#exportState?.excusedMs() ?? 0;
    let worst: { partition: number; p: PartitionProgress; stalledMs: number } | undefined;
    let stalled = 0;
    for (const [partition, p] of this.#partitions) {
      if (p.lag === 0) continue;
      const stalledMs = now - p.progressAtMs - (excusedNowMs - p.excusedAtProgressMs);
      if (stalledMs <= this.#stallTimeoutMs) continue;
      stalled += 1;
      if (worst === undefined || stalledMs > worst.stalledMs) worst = { partition, p, stalledMs };
    }
    if (worst === undefined) return undefined;
    const excusedMs = excusedNowMs - worst.p.excusedAtProgressMs;
    const others = stalled > 1 ? ` (${stalled - 1} more partition${stalled > 2 ? 's' : ''} stalled)` : '';
    return `consumer stalled: partition ${worst.partition} is ${worst.p.lag} records behind, no commit for ${now - worst.p.progressAtMs} ms${excusedMs > 0 ? ` (${excusedMs} ms of it with the X-Ray export failing)` : ''}${others}`;
  };

  readonly ready: HealthCheck = () => {
    if (this.#joined) return undefined;
    if (this.#waiting !== undefined && this.#interrupted === undefined) return `not consuming yet: ${this.#waiting}`;
    return this.#interrupted === undefined ? 'not a member of the consumer group' : `consumer interrupted, rejoining: ${this.#interrupted.reason}`;
  };
}

/** How long after a failed export call the export still counts as failing for liveness (ExportState), ms. */
export const FAILURE_COVER_MS = 30_000;

/**
 * Export health, from every PutTraceSegments call (XRaySegmentSink's `health` observer). Ready fails once
 * calls have failed without one success for `failureTimeoutMs` (EXPORT_FAILURE_TIMEOUT): no credentials,
 * access denied, endpoint unreachable, 5xx. A throttled call neither fails nor heals it (X-Ray answered,
 * but took nothing; liveness excuses it, `throttled`); a call X-Ray answered, even by refusing a document, is a
 * success. Ready again at the first success. A call the endpoint answered with "no such route" (`misdirected`:
 * XRAY_ENDPOINT is not an X-Ray API) fails ready at once: no wait mends it (found by a newcomer trial: ready said
 * ok for a minute while every call went to the receiver).
 */
export class ExportHealth implements ExportState {
  readonly #failureTimeoutMs: number;
  readonly #now: () => number;
  #failingSinceMs: number | undefined;
  /** Start of the current covered run of failures (each failure covers FAILURE_COVER_MS after it), for liveness. */
  #coveredSinceMs: number | undefined;
  #lastFailureAtMs = 0;
  /** Failing time of the runs of failures that ended (a success), ms. */
  #closedFailingMs = 0;
  #lastFailure = '';
  #misdirected = false;

  constructor(options: { failureTimeoutMs: number; now: () => number }) {
    this.#failureTimeoutMs = options.failureTimeoutMs;
    this.#now = options.now;
  }

  succeeded(): void {
    this.#closeCoveredRun(this.#now());
    this.#failingSinceMs = undefined;
    this.#misdirected = false;
  }

  failed(code: ErrorCode, message: string, misdirected = false): void {
    const now = this.#now();
    this.#misdirected = misdirected;
    this.#failingSinceMs ??= now;
    this.#cover(now);
    this.#lastFailure = `${code}: ${message}`;
  }

  /**
   * X-Ray throttled a call or some of its documents: not a failure for readiness (X-Ray answers), but time the
   * consumer cannot move forward through no fault of its own, excused for liveness like a failure (found by the
   * diff review: `meshray start` behind a throttled X-Ray finishes a batch in minutes, committing nothing meanwhile).
   */
  throttled(): void {
    this.#cover(this.#now());
  }

  /** Extends the covered run to `now` (each event covers FAILURE_COVER_MS after it). */
  #cover(now: number): void {
    // an event past the cover of the one before starts a new run: the gap between them is not excused (found by
    // the diff review: a stuck consumer failing one call every 90 s was excused for good)
    if (this.#coveredSinceMs !== undefined && now > this.#lastFailureAtMs + FAILURE_COVER_MS) this.#closeCoveredRun(now);
    this.#coveredSinceMs ??= now;
    this.#lastFailureAtMs = now;
  }

  excusedMs(): number {
    return this.#closedFailingMs + this.#openFailingMs(this.#now());
  }

  #closeCoveredRun(nowMs: number): void {
    this.#closedFailingMs += this.#openFailingMs(nowMs);
    this.#coveredSinceMs = undefined;
  }

  /**
   * The current covered run of failures, up to `nowMs`, but not past FAILURE_COVER_MS after its last failure:
   * during an outage calls keep failing (retries, then redeliveries: seconds apart), so an export that stopped
   * calling is no longer what stalls the consumer.
   */
  #openFailingMs(nowMs: number): number {
    if (this.#coveredSinceMs === undefined) return 0;
    return Math.max(0, Math.min(nowMs, this.#lastFailureAtMs + FAILURE_COVER_MS) - this.#coveredSinceMs);
  }

  readonly ready: HealthCheck = () => {
    if (this.#failingSinceMs === undefined) return undefined;
    const failingMs = this.#now() - this.#failingSinceMs;
    if (failingMs < this.#failureTimeoutMs && !this.#misdirected) return undefined;
    return `X-Ray export failing for ${Math.round(failingMs / 1000)} s: ${this.#lastFailure}`;
  };
}

/** The first problem of several checks (undefined when all pass). */
export function allOf(...checks: readonly HealthCheck[]): HealthCheck {
  return () => {
    for (const check of checks) {
      const problem = check();
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}
