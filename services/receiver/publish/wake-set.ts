/**
 * Waits that end together: `wait()` resolves at the next `wakeAll()`, or after `ms` when given. Timers are the
 * global setTimeout/clearTimeout, looked up when called, so node:test `mock.timers` drives them in tests.
 */
export class WakeSet {
  readonly #wakes = new Set<() => void>();

  /** Resolves at the next wakeAll(), or after `ms` when given (no timer otherwise: an idle wait holds no handle). */
  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.#wakes.delete(wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.#wakes.add(wake);
    });
  }

  /** Ends every wait pending now. */
  wakeAll(): void {
    const wakes = [...this.#wakes];
    this.#wakes.clear();
    for (const wake of wakes) wake();
  }
}
