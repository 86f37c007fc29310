import type { HealthCheck } from '../../shared/http/ops-routes.ts';

/**
 * Consumer health. Live fails when the consumer stopped making progress: it crashed, or a partition has
 * lag but nothing was committed for `stallTimeoutMs`. Ready = joined the consumer group.
 */
export class ConsumerHealth {
  readonly #stallTimeoutMs: number;
  readonly #now: () => number;
  #joined = false;
  #crashed: string | undefined;
  /** partition → lag (records), as last seen. */
  readonly #lag = new Map<number, number>();
  /** When progress was last made, or when lag appeared after none. */
  #progressAtMs: number;

  constructor(options: { stallTimeoutMs: number; now: () => number }) {
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.#now = options.now;
    this.#progressAtMs = options.now();
  }

  joined(): void { this.#joined = true; }
  left(): void { this.#joined = false; }
  crashed(reason: string): void { this.#crashed = reason; this.#joined = false; }

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
    if (this.#crashed !== undefined) return `consumer crashed: ${this.#crashed}`;
    const stalledMs = this.#now() - this.#progressAtMs;
    if (this.#totalLag() > 0 && stalledMs > this.#stallTimeoutMs) {
      return `consumer stalled: ${this.#totalLag()} records behind, no commit for ${stalledMs} ms`;
    }
    return undefined;
  };

  readonly ready: HealthCheck = () => (this.#joined ? undefined : 'not a member of the consumer group');

  #totalLag(): number {
    let sum = 0;
    for (const v of this.#lag.values()) sum += v;
    return sum;
  }
}
