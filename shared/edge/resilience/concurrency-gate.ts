/** Gives back a permit taken from a ConcurrencyGate; calling it more than once does nothing. */
export type Release = () => void;

/**
 * Bounds how many tasks run at once (PutTraceSegments calls in flight, POSTs in flight). Waiters are
 * served first come, first served; a released permit passes straight to the oldest waiter.
 */
export class ConcurrencyGate {
  readonly #limit: number;
  readonly #waiting: ((release: Release) => void)[] = [];
  readonly #idle: (() => void)[] = [];
  #active = 0;

  /** `limit` below 1 is taken as 1. */
  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit) || 1);
  }

  /** Tasks holding a permit now. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a permit once fewer than `limit` are held; the caller must release it. */
  acquire(): Promise<Release> {
    if (this.#active < this.#limit) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Runs `task` under a permit and gives it back however the task ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Resolves when no permit is held and nobody waits. */
  whenIdle(): Promise<void> {
    if (this.#active === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) {
        next(this.#releaser()); // the permit passes on: #active is unchanged
        return;
      }
      this.#active -= 1;
      if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
  }
}
