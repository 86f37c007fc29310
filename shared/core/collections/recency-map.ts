/**
 * A Map that knows which of its entries was set or touched least recently, for caches that evict or expire
 * from that end (LRU, FIFO with a TTL). Pure: no clock, no I/O.
 *
 * Why not a plain Map's insertion order (delete + set to move an entry, `keys().next()` or a `for … of` with
 * `break` to find the oldest): V8's ordered hash tables keep deleted entries as holes until the table is
 * rebuilt, and an iteration from the start walks every hole left there. A cache that moves or evicts an
 * entry per operation then pays a walk over up to its whole capacity each time it looks for the oldest:
 * bench/.scratch measured ≈ 70 µs per id for a 200,000-entry FIFO at its cap, and an epoch cache's cost per
 * trace growing 4.6 → 20.7 µs from 1,000 to 50,000 live traces. Here the order is a queue of (key, stamp)
 * beside the Map: moving an entry appends a stamp, the stale one is skipped when it reaches the head, and
 * the queue is compacted once half of it was consumed. Every operation is amortised O(1).
 */
interface Slot<V> {
  value: V;
  /** The stamp of the entry's newest place in the queue. */
  stamp: number;
}

/**
 * String keys to `V`, with `oldest()` the entry set or touched least recently. Each operation is amortised
 * O(1); the map holds what it is given (its users bound it: evict from `oldest()`).
 */
export class RecencyMap<V> {
  readonly #slots = new Map<string, Slot<V>>();
  #keys: string[] = [];
  #stamps: number[] = [];
  #head = 0;
  #nextStamp = 0;

  get size(): number {
    return this.#slots.size;
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  /** The value, without touching it. */
  get(key: string): V | undefined {
    return this.#slots.get(key)?.value;
  }

  /** Sets the value and makes the entry the most recent. */
  set(key: string, value: V): void {
    const slot = this.#slots.get(key);
    const stamp = this.#push(key);
    if (slot === undefined) this.#slots.set(key, { value, stamp });
    else {
      slot.value = value;
      slot.stamp = stamp;
    }
  }

  /** Makes the entry the most recent; false when there is none. */
  touch(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    slot.stamp = this.#push(key);
    return true;
  }

  delete(key: string): boolean {
    return this.#slots.delete(key);
  }

  /** The least recent entry, or undefined when empty. */
  oldest(): { readonly key: string; readonly value: V } | undefined {
    const keys = this.#keys;
    const stamps = this.#stamps;
    while (this.#head < keys.length) {
      const key = keys[this.#head] as string;
      const slot = this.#slots.get(key);
      if (slot !== undefined && slot.stamp === stamps[this.#head]) return { key, value: slot.value };
      this.#head += 1; // moved since, or deleted
    }
    this.#compact();
    return undefined;
  }

  /** Removes and returns the least recent entry. */
  shift(): { readonly key: string; readonly value: V } | undefined {
    const oldest = this.oldest();
    if (oldest === undefined) return undefined;
    this.#slots.delete(oldest.key);
    this.#head += 1;
    this.#compact();
    return oldest;
  }

  /** Appends `key` to the queue (before its slot takes the stamp returned). */
  #push(key: string): number {
    // the queue holds every move: keep it within a few times the live entries (before this push: every
    // slot's stamp is still its place in the queue)
    if (this.#keys.length - this.#head > 4 * this.#slots.size + 1024) this.#rebuild();
    const stamp = this.#nextStamp++;
    this.#keys.push(key);
    this.#stamps.push(stamp);
    return stamp;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#stamps = this.#stamps.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops every stale place from the queue (entries touched many times while old ones stay). */
  #rebuild(): void {
    const keys: string[] = [];
    const stamps: number[] = [];
    for (let i = this.#head; i < this.#keys.length; i += 1) {
      const key = this.#keys[i] as string;
      if (this.#slots.get(key)?.stamp === this.#stamps[i]) {
        keys.push(key);
        stamps.push(this.#stamps[i] as number);
      }
    }
    this.#keys = keys;
    this.#stamps = stamps;
    this.#head = 0;
  }
}
