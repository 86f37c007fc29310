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
 * Bounded: at most `maxIds` ids, each for at most `ttlMs` from when it was first accepted; the oldest go
 * first. Each id of a packed document counts (about one per span), so the cap decides how far back it
 * reaches under load: 200,000 ids are about 40 s of a translator's traffic at 5,000 spans/s, 10 minutes only
 * below ≈ 330 spans/s. An entry costs ≈ 100–250 bytes (20–50 MB at the cap). No I/O; time is an input.
 *
 * A document in a call not answered yet counts too (`sending` … `settled`): the assembly window's timer and
 * a batch may export the original and its duplicate at once, and X-Ray would keep whichever came last. If
 * that call then fails, its records are not done and the original is sent again.
 *
 * Not covered (README, "What is lost, when"): a duplicate consumed by another translator process (its
 * partition moved, or the process restarted), or older than that reach.
 */
export interface AcceptedDocumentsOptions {
  /** Ids remembered at most (default 200,000). */
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
  /** `${traceKey}${id}` → calls not answered yet that carry it. */
  readonly #sending = new Map<string, number>();
  /** When the oldest id expires (undefined: none held); the Map is swept only then or past the cap. */
  #sweepAtMs: number | undefined;

  constructor(options: AcceptedDocumentsOptions = {}) {
    this.#maxIds = options.maxIds ?? ACCEPTED_DOCUMENTS_MAX_IDS;
    this.#ttlMs = options.ttlMs ?? ACCEPTED_DOCUMENTS_TTL_MS;
  }

  get size(): number {
    return this.#acceptedAtMs.size;
  }

  /**
   * Whether X-Ray accepted document `id` of trace `traceKey` (the Zipkin trace id's low 64 bits) within ttlMs
   * of `nowMs`, or it is in a call not answered yet.
   */
  has(traceKey: string, id: string, nowMs: number): boolean {
    const key = traceKey + id;
    const at = this.#acceptedAtMs.get(key);
    return (at !== undefined && nowMs - at < this.#ttlMs) || this.#sending.has(key);
  }

  /** Documents `ids` of trace `traceKey` are in a call now (until `settled`). */
  sending(traceKey: string, ids: readonly string[]): void {
    for (const id of ids) {
      const key = traceKey + id;
      this.#sending.set(key, (this.#sending.get(key) ?? 0) + 1);
    }
  }

  /** The call that carried documents `ids` of trace `traceKey` was answered (or failed). */
  settled(traceKey: string, ids: readonly string[]): void {
    for (const id of ids) {
      const key = traceKey + id;
      const n = (this.#sending.get(key) ?? 0) - 1;
      if (n > 0) this.#sending.set(key, n);
      else this.#sending.delete(key);
    }
  }

  /** X-Ray accepted documents `ids` of trace `traceKey` at `nowMs`. */
  accepted(traceKey: string, ids: readonly string[], nowMs: number): void {
    const remembered = this.#acceptedAtMs;
    for (const id of ids) {
      const key = traceKey + id;
      if (!remembered.has(key)) remembered.set(key, nowMs); // accepted again: it keeps its place (and age)
    }
    this.#sweepAtMs ??= nowMs + this.#ttlMs; // it held none: the oldest is one of these
    if (remembered.size <= this.#maxIds && (this.#sweepAtMs === undefined || nowMs < this.#sweepAtMs)) return;
    for (const [key, at] of remembered) {
      if (remembered.size <= this.#maxIds && nowMs - at < this.#ttlMs) {
        this.#sweepAtMs = at + this.#ttlMs; // when the oldest expires
        return;
      }
      remembered.delete(key);
    }
    this.#sweepAtMs = undefined;
  }
}
