/**
 * The documents X-Ray accepted recently, by trace and id, so that a span delivered again later (a duplicate
 * record: the receiver resends a batch Kafka had partly written before a failover; a redelivery after a
 * rebalance) is not sent again.
 *
 * Why it matters with PACKING=on: X-Ray keeps the last document sent under an id (PutTraceSegments: a
 * segment sent again replaces the earlier one; xray-local does the same, store/segment-store.ts). A SERVER
 * span's packed document nests its service's CLIENT spans. Sent again alone, the SERVER span's document
 * replaces that one, and the CLIENT spans it nested are gone from X-Ray while their records are committed.
 *
 * Bounded: at most `maxIds` ids, each for at most `ttlMs` (both counted from when it was accepted); the
 * oldest go first. No I/O; time is an input.
 */
export interface AcceptedDocumentsOptions {
  /** Ids remembered at most (default 200,000: about 20 MB). */
  readonly maxIds?: number;
  /** How long an id is remembered (ms; default 10 minutes: a receiver's resend after a long Kafka outage). */
  readonly ttlMs?: number;
}

export const ACCEPTED_DOCUMENTS_MAX_IDS = 200_000;
export const ACCEPTED_DOCUMENTS_TTL_MS = 10 * 60_000;

export class AcceptedDocuments {
  readonly #maxIds: number;
  readonly #ttlMs: number;
  /** `${traceKey}${id}` → when accepted (ms); insertion-ordered, so the oldest come first. */
  readonly #acceptedAtMs = new Map<string, number>();

  constructor(options: AcceptedDocumentsOptions = {}) {
    this.#maxIds = options.maxIds ?? ACCEPTED_DOCUMENTS_MAX_IDS;
    this.#ttlMs = options.ttlMs ?? ACCEPTED_DOCUMENTS_TTL_MS;
  }

  get size(): number {
    return this.#acceptedAtMs.size;
  }

  /** Whether X-Ray accepted document `id` of trace `traceKey` (the Zipkin trace id's low 64 bits) within ttlMs of `nowMs`. */
  has(traceKey: string, id: string, nowMs: number): boolean {
    const at = this.#acceptedAtMs.get(traceKey + id);
    return at !== undefined && nowMs - at < this.#ttlMs;
  }

  /** X-Ray accepted documents `ids` of trace `traceKey` at `nowMs`. */
  accepted(traceKey: string, ids: readonly string[], nowMs: number): void {
    for (const id of ids) {
      const key = traceKey + id;
      this.#acceptedAtMs.delete(key); // re-inserted last: its age restarts
      this.#acceptedAtMs.set(key, nowMs);
    }
    for (const [key, at] of this.#acceptedAtMs) {
      if (this.#acceptedAtMs.size <= this.#maxIds && nowMs - at < this.#ttlMs) break;
      this.#acceptedAtMs.delete(key);
    }
  }
}
