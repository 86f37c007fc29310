/**
 * What the console should show for a `runDemo` run, derived from the simulator's own generator: the same
 * seed and options replayed through `generateRequest` give the same trace ids, reviews versions and
 * injections (the generator is pure; only timestamps depend on the clock). From that ledger: which traces
 * reach ratings, which carry a fault, and the service graph X-Ray semantics imply (a hop that failed in
 * Envoy has no callee segment, so its call shows as an inferred `remote` node).
 */
import {
  createPrng, generateOptionsOf, generateRequest, type DemoOptions, type GeneratedRequest, type Injection,
} from '../../../services/simulator/index.ts';

export type Hop = 'productpage' | 'details' | 'reviews' | 'ratings';

export interface LedgerEntry {
  readonly index: number;
  /** The Zipkin trace id (32 hex). */
  readonly zipkinTraceId: string;
  /** Its last 24 hex: the part of the X-Ray trace id that survives (the epoch part may be rewritten). */
  readonly key: string;
  readonly requestId: string;
  readonly reviews: GeneratedRequest['reviews'];
  readonly injected: Injection | undefined;
  /** Hops whose callee segment exists (the callee saw the request). */
  readonly reached: ReadonlySet<Hop>;
}

/** The key of an X-Ray trace id `1-xxxxxxxx-<24 hex>`. */
export const keyOfXrayId = (xrayTraceId: string): string => xrayTraceId.slice(-24);

export function replayLedger(options: DemoOptions & { readonly requests: number }): LedgerEntry[] {
  const generate = generateOptionsOf(options);
  const prng = createPrng(options.seed ?? 1);
  const out: LedgerEntry[] = [];
  for (let i = 0; i < options.requests; i += 1) {
    const r = generateRequest(prng, 1_700_000_000_000_000, i, generate);
    const faulted = (hop: Hop): boolean => r.injected?.kind === 'fault' && r.injected.service === hop;
    const reached = new Set<Hop>();
    if (!faulted('productpage')) {
      reached.add('productpage');
      if (!faulted('details')) reached.add('details');
      if (!faulted('reviews')) {
        reached.add('reviews');
        if (r.reviews !== 'v1' && !faulted('ratings')) reached.add('ratings');
      }
    }
    out.push({ index: i, zipkinTraceId: r.traceId, key: r.traceId.slice(-24), requestId: r.requestId, reviews: r.reviews, injected: r.injected, reached });
  }
  return out;
}

/** Who calls each hop (1.7-style names: `<service>.default`, the gateway plain). */
const CALLER: Readonly<Record<Hop, string>> = {
  productpage: 'istio-ingressgateway', details: 'productpage.default', reviews: 'productpage.default', ratings: 'reviews.default',
};
/** Whether a request makes the call to `hop` at all (its caller was reached; ratings only from reviews v2/v3). */
function calls(entry: LedgerEntry, hop: Hop): boolean {
  if (hop === 'productpage') return true;
  if (hop === 'ratings') return entry.reached.has('reviews') && entry.reviews !== 'v1';
  return entry.reached.has('productpage');
}

export interface ExpectedGraph {
  /** `name (type): requests`, sorted. */
  readonly nodes: string[];
  /** `from -> to: calls`, sorted; a call to a remote node has the same names as one to the service node. */
  readonly edges: string[];
}

export function expectedGraph(ledger: readonly LedgerEntry[]): ExpectedGraph {
  const nodes = new Map<string, number>([['istio-ingressgateway (service)', ledger.length]]);
  const edges = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const entry of ledger) {
    for (const hop of ['productpage', 'details', 'reviews', 'ratings'] as const) {
      if (!calls(entry, hop)) continue;
      const type = entry.reached.has(hop) ? 'service' : 'remote';
      bump(nodes, `${hop}.default (${type})`);
      // One edge per (caller, callee node): the remote node is a different node with the same name.
      bump(edges, `${CALLER[hop]} -> ${hop}.default [${type}]`);
    }
  }
  return {
    nodes: [...nodes].map(([k, n]) => `${k}: ${n}`).sort(),
    edges: [...edges].map(([k, n]) => `${k.replace(/ \[\w+\]$/, '')}: ${n}`).sort(),
  };
}
