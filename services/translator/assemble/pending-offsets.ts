/**
 * The offsets of one partition that are still pending (held in the assembly window, or taken for export and
 * not finished), each with how many parts of its record are, and the lowest of them at amortised O(1).
 *
 * The commit point is just below the lowest pending offset. Scanning every pending offset for it on each
 * batch cost 39 % of the window's CPU under overload (100k records held; `BENCH=assembly`). Records come
 * in offset order per partition, so the offsets are kept in a queue in the order they became pending, which
 * is ascending; the lowest is the queue's first entry that is still pending (the ones before it are dropped
 * as they are passed). An offset that becomes pending again out of that order (put back after its count
 * fell to 0) is placed in order, so the answer never depends on the delivery order. Offsets are Kafka's
 * decimal strings (int64, no sign, no leading zeros) and are compared as such. No I/O, no clock.
 */
export class PendingOffsets {
  readonly #counts = new Map<string, number>();
  /** Ascending from `#head`; entries before `#head` were dropped. May hold offsets no longer pending. */
  #queue: string[] = [];
  #head = 0;

  get size(): number {
    return this.#counts.size;
  }

  has(offset: string): boolean {
    return this.#counts.has(offset);
  }

  /** One more part of the record at `offset` is pending. */
  add(offset: string): void {
    const count = this.#counts.get(offset) ?? 0;
    this.#counts.set(offset, count + 1);
    if (count === 0) this.#enqueue(offset);
  }

  /** One part of the record at `offset` is no longer pending: how many still are (0: the offset left). */
  release(offset: string): number {
    const left = (this.#counts.get(offset) ?? 0) - 1;
    if (left > 0) this.#counts.set(offset, left);
    else this.#counts.delete(offset);
    return Math.max(0, left);
  }

  /** The lowest pending offset, or undefined when none is. */
  lowest(): string | undefined {
    const q = this.#queue;
    while (this.#head < q.length && !this.#counts.has(q[this.#head] ?? '')) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    return this.#queue[this.#head];
  }

  #enqueue(offset: string): void {
    const q = this.#queue;
    const last = q[q.length - 1];
    if (last === undefined || q.length === this.#head || compareOffsets(offset, last) > 0) {
      q.push(offset); // the usual case: a record newer than every other
      return;
    }
    // Out of order: find its place among the entries still queued (binary search), unless it is there.
    let lo = this.#head;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOffsets(q[mid] ?? '', offset) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (q[lo] === offset) return;
    if (lo === this.#head && this.#head > 0) {
      this.#head -= 1;
      q[this.#head] = offset;
    } else {
      q.splice(lo, 0, offset);
    }
  }
}

/** Orders two Kafka offsets given as decimal strings without sign or leading zeros. */
export function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
