import type { ErrorCode } from '../../shared/edge/errors/index.ts';
import type { HealthCheck } from '../../shared/edge/http/ops-routes.ts';

/** What liveness needs to know of the export (ExportHealth): whether calls are failing, and since when they are not. */
export interface ExportState {
  /** A call failed and none succeeded since (X-Ray unreachable, refusing the caller, 5xx). */
  readonly failing: boolean;
  /** When the first call succeeded after failures (epoch ms); -Infinity when the export never failed. */
  readonly recoveredAtMs: number;
}

/**
 * Consumer health. Ready = joined the consumer group (not while the consumer is interrupted: crashed,
 * stopped by kafkajs, or rebuilt, until it joins again). Live fails when the consumer stopped making
 * progress: interrupted and not rejoined for `stallTimeoutMs`, or a partition has lag but nothing was
 * committed for `stallTimeoutMs`. A stall while `exportState` says the export is failing is not the
 * consumer's (a restart would not bring X-Ray back, and every restart rebalances the group): live holds, and
 * the stall is measured again from the export's recovery. Readiness (ExportHealth) reports the outage.
 */
export class ConsumerHealth {
  readonly #stallTimeoutMs: number;
  readonly #now: () => number;
  readonly #exportState: ExportState | undefined;
  #joined = false;
  #interrupted: { readonly reason: string; readonly sinceMs: number } | undefined;
  /** partition → lag (records), as last seen. */
  readonly #lag = new Map<number, number>();
  /** When progress was last made, or when lag appeared after none. */
  #progressAtMs: number;

  constructor(options: { stallTimeoutMs: number; now: () => number; exportState?: ExportState }) {
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.#now = options.now;
    this.#exportState = options.exportState;
    this.#progressAtMs = options.now();
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
    if (records > 0 && this.#totalLag() === 0) this.#progressAtMs = this.#now();
    this.#lag.set(partition, Math.max(0, records));
  }

  committed(): void { this.#progressAtMs = this.#now(); }

  revoked(partitions: readonly number[]): void {
    for (const p of partitions) this.#lag.delete(p);
  }

  readonly live: HealthCheck = () => {
    const outMs = this.#interrupted === undefined ? 0 : this.#now() - this.#interrupted.sinceMs;
    if (this.#interrupted !== undefined && outMs > this.#stallTimeoutMs) {
      return `consumer out of the group for ${outMs} ms: ${this.#interrupted.reason}`;
    }
    if (this.#exportState?.failing === true) return undefined;
    const stalledMs = this.#now() - Math.max(this.#progressAtMs, this.#exportState?.recoveredAtMs ?? -Infinity);
    if (this.#totalLag() > 0 && stalledMs > this.#stallTimeoutMs) {
      return `consumer stalled: ${this.#totalLag()} records behind, no commit for ${stalledMs} ms`;
    }
    return undefined;
  };

  readonly ready: HealthCheck = () => {
    if (this.#joined) return undefined;
    if (this.#waiting !== undefined && this.#interrupted === undefined) return `not consuming yet: ${this.#waiting}`;
    return this.#interrupted === undefined ? 'not a member of the consumer group' : `consumer interrupted, rejoining: ${this.#interrupted.reason}`;
  };

  #totalLag(): number {
    let sum = 0;
    for (const v of this.#lag.values()) sum += v;
    return sum;
  }
}

/**
 * Export health, from every PutTraceSegments call (XRaySegmentSink's `health` observer). Ready fails once
 * calls have failed without one success for `failureTimeoutMs` (EXPORT_FAILURE_TIMEOUT): no credentials,
 * access denied, endpoint unreachable, 5xx. A throttled call neither fails nor heals it (X-Ray answered,
 * but took nothing); a call X-Ray answered, even by refusing a document, is a success. Ready again at the
 * first success.
 */
export class ExportHealth implements ExportState {
  readonly #failureTimeoutMs: number;
  readonly #now: () => number;
  #failingSinceMs: number | undefined;
  #recoveredAtMs = -Infinity;
  #lastFailure = '';

  constructor(options: { failureTimeoutMs: number; now: () => number }) {
    this.#failureTimeoutMs = options.failureTimeoutMs;
    this.#now = options.now;
  }

  succeeded(): void {
    if (this.#failingSinceMs !== undefined) this.#recoveredAtMs = this.#now();
    this.#failingSinceMs = undefined;
  }

  get failing(): boolean {
    return this.#failingSinceMs !== undefined;
  }

  get recoveredAtMs(): number {
    return this.#recoveredAtMs;
  }

  failed(code: ErrorCode, message: string): void {
    this.#failingSinceMs ??= this.#now();
    this.#lastFailure = `${code}: ${message}`;
  }

  readonly ready: HealthCheck = () => {
    if (this.#failingSinceMs === undefined) return undefined;
    const failingMs = this.#now() - this.#failingSinceMs;
    if (failingMs < this.#failureTimeoutMs) return undefined;
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
