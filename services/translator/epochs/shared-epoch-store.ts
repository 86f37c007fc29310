/** A proposed X-Ray trace id for a trace (by its key, the low 64 bits of the Zipkin trace id). */
export interface EpochProposal {
  readonly traceKey: string;
  readonly xrayTraceId: string;
}

/**
 * Port: the store every translator instance shares, so all agree on a trace's X-Ray id even after a
 * rebalance. `agree` stores each proposal unless a live value exists (first writer wins), slides the
 * TTL, and returns the value held for every key. Throws MeshrayError EPOCH_STORE_UNAVAILABLE when down.
 */
export interface SharedEpochStore {
  agree(proposals: readonly EpochProposal[]): Promise<ReadonlyMap<string, string>>;
}
