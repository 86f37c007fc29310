/**
 * Segment documents accepted per aligned window of wall time (default 10 s), the judge of an export budget:
 * `meshray_xray_local_segments_accepted_max_per_window` is the largest count any window has seen so far.
 * Pure: time is an input. Keeps the last `keep` windows.
 */
export class AcceptedWindows {
  readonly #windowMs: number;
  readonly #keep: number;
  readonly #counts = new Map<number, number>();

  constructor(options: { readonly windowMs?: number; readonly keep?: number } = {}) {
    this.#windowMs = options.windowMs ?? 10_000;
    this.#keep = options.keep ?? 360;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  add(count: number, nowMs: number): void {
    const start = Math.floor(nowMs / this.#windowMs) * this.#windowMs;
    this.#counts.set(start, (this.#counts.get(start) ?? 0) + count);
    while (this.#counts.size > this.#keep) {
      const oldest = this.#counts.keys().next();
      if (oldest.done === true) break;
      this.#counts.delete(oldest.value);
    }
  }

  /** Largest count of any window kept (0 when none). */
  get max(): number {
    return Math.max(0, ...this.#counts.values());
  }

  /** Window start (ms) → documents accepted in it, oldest first. */
  get counts(): ReadonlyMap<number, number> {
    return this.#counts;
  }
}
