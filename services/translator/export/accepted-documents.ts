import { RecencyMap } from '../../../shared/core/collections/recency-map.ts';

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
 * Bounded: at most `maxIds` ids, for at most `ttlMs` from when X-Ray accepted the first document of their
 * trace; the oldest traces go first. Each id of a packed document counts (about one per span), so the cap
 * decides how far back it reaches under load: 200,000 ids are about 40 s of a translator's traffic at 5,000
 * spans/s, 10 minutes only below ≈ 330 spans/s. Held per trace (one Map entry and a small array of ids), it
 * costs ≈ 25–60 bytes per id (5–12 MB at the cap). No I/O; time is an input.
 *
 * A document in a call not answered yet counts too (`sending` … `settled`): the assembly window's timer and
 * a batch may export the original and its duplicate at once, and X-Ray would keep whichever came last. Its
 * duplicate waits for that call's answer (`inFlight`) and is then judged again: sent unless X-Ray accepted
 * it. (Skipping it outright lost it when the call failed after a revoke: the call's own records were put
 * back under a generation no longer current, and the duplicate's records were reported done.)
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
  /**
   * Trace key → when X-Ray first accepted a document of it (ms) and the ids accepted since (a few), oldest
   * trace first (a RecencyMap: evicting from a plain Map's start walked every entry deleted there, ≈ 70 µs
   * per id once at the cap, and the all-in-one at 80 % of its capacity measured 195 against 86 µs/span).
   */
  readonly #traces = new RecencyMap<{ readonly atMs: number; readonly ids: string[] }>();
  #ids = 0;
  /**
   * Document id → the trace keys of the calls not answered yet that carry it (one per call; ids are random 64
   * bits, so nearly always one trace). Keyed by the id alone: the document's own string, whose hash V8 keeps,
   * where `${traceKey}${id}` built, flattened and hashed a new string three times per document (1.2 % of the
   * all-in-one's CPU, docs/sizing.md §11).
   */
  readonly #sending = new Map<string, { readonly traceKey: string; readonly call: Promise<unknown> }[]>();

  constructor(options: AcceptedDocumentsOptions = {}) {
    this.#maxIds = options.maxIds ?? ACCEPTED_DOCUMENTS_MAX_IDS;
    this.#ttlMs = options.ttlMs ?? ACCEPTED_DOCUMENTS_TTL_MS;
  }

  /** Ids remembered. */
  get size(): number {
    return this.#ids;
  }

  /**
   * Whether X-Ray accepted document `id` of trace `traceKey` (the Zipkin trace id's low 64 bits) within ttlMs
   * of `nowMs` (counted from the trace's first accepted document), or it is in a call not answered yet.
   */
  has(traceKey: string, id: string, nowMs: number): boolean {
    const trace = this.#traces.get(traceKey);
    if (trace !== undefined && nowMs - trace.atMs < this.#ttlMs && trace.ids.includes(id)) return true;
    return this.inFlight(traceKey, id) !== undefined;
  }

  /** The call not answered yet that carries document `id` of trace `traceKey` (it settles, never rejects), or undefined. */
  inFlight(traceKey: string, id: string): Promise<unknown> | undefined {
    if (this.#sending.size === 0) return undefined;
    return this.#sending.get(id)?.find((c) => c.traceKey === traceKey)?.call;
  }

  /** Documents `ids` of trace `traceKey` are in `call` now (until `settled`). */
  sending(traceKey: string, ids: readonly string[], call: Promise<unknown>): void {
    const answered = call.then(() => undefined, () => undefined);
    for (const id of ids) {
      const calls = this.#sending.get(id);
      if (calls === undefined) this.#sending.set(id, [{ traceKey, call: answered }]);
      else calls.push({ traceKey, call: answered });
    }
  }

  /** The call that carried documents `ids` of trace `traceKey` was answered (or failed). */
  settled(traceKey: string, ids: readonly string[]): void {
    for (const id of ids) {
      const calls = this.#sending.get(id);
      if (calls === undefined) continue;
      const at = calls.findIndex((c) => c.traceKey === traceKey);
      if (at >= 0) calls.splice(at, 1);
      if (calls.length === 0) this.#sending.delete(id);
    }
  }

  /** X-Ray accepted documents `ids` of trace `traceKey` at `nowMs`. */
  accepted(traceKey: string, ids: readonly string[], nowMs: number): void {
    const trace = this.#traces.get(traceKey);
    if (trace === undefined) {
      this.#traces.set(traceKey, { atMs: nowMs, ids: [...ids] });
      this.#ids += ids.length;
    } else {
      for (const id of ids) {
        if (trace.ids.includes(id)) continue;
        trace.ids.push(id);
        this.#ids += 1;
      }
    }
    // the oldest traces go while more than maxIds ids are held or they are past ttlMs
    for (let oldest = this.#traces.oldest(); oldest !== undefined; oldest = this.#traces.oldest()) {
      if (this.#ids <= this.#maxIds && nowMs - oldest.value.atMs < this.#ttlMs) break;
      this.#traces.shift();
      this.#ids -= oldest.value.ids.length;
    }
  }
}
