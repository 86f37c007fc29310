/**
 * The V8 options each service runs with by default: the young generation's size (`--max-semi-space-size`, in
 * MiB per semi-space). Fewer objects live through enough scavenges to be promoted to the old generation, so
 * V8's helper threads mark and sweep less. Measured side by side, one variant against the other, on a quiet
 * machine, on Node 20 (docs/sizing.md §9; Node 24's receiver differs, below and §13):
 * - receiver, 32 MiB: −20 % CPU per span saturated, RSS after saturation 245/254 → 188/194 MiB;
 * - translator, 64 MiB: −10 % CPU per span draining a backlog (`BENCH=drain`), peak RSS unchanged;
 * - all-in-one (`start`), 64 MiB: −13 % CPU per span at 80 % of its capacity (`BENCH=all-in-one`).
 * xray-local showed no win (its handler in process: 27.8 / 26.6 / 30.3 µs per document for 16 / 32 / 64 MiB),
 * so it keeps V8's default.
 *
 * V8 reads these flags once, when the process starts (`v8.setFlagsFromString` later does not resize the
 * young generation), so they cannot be set from inside the service: they are set where each service is
 * launched, as `NODE_OPTIONS`, which an operator's own value replaces: `meshray stack` and the benches read this
 * table for the running Node, the k8s ConfigMaps and docker-compose.yml carry it for the image's Node
 * (IMAGE_NODE_MAJOR; the deploy tests check both); `npm start` sets NODE_OPTIONS to it when the environment has
 * none (package.json; a flag on node's command line would win over the operator's NODE_OPTIONS). The old generation's growing factor, by contrast, is read each time V8
 * recomputes its limit, so the receiver sets it itself from HEAP_GROWING_PERCENT (shared/edge/runtime/heap-growing.ts).
 */
/** The Node.js major the image runs (Dockerfile: `node:24-…`): what the k8s manifests and docker-compose.yml set. */
export const IMAGE_NODE_MAJOR = 24;

/** The running process' Node.js major. */
export const RUNNING_NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * Per Node.js line, as measured on it. On Node 24 (V8 13.6) the receiver's 32 MiB young generation made it
 * mark-compact every ≈ 0.7 s (≈ 50 in a bench run, against 5 on Node 20), and cost ≈ 40 µs/span saturated with an
 * open-loop p99 of 43–106 ms at 10k spans/s; with 16 MiB: 30–34 µs/span, p99 16–28 ms, 2–3 mark-compacts;
 * with V8's own default (no flag) 47 µs/span and 117–128 mark-compacts (docs/sizing.md §13).
 */
const BY_NODE_LINE: Readonly<Record<'20' | '24', Readonly<Record<string, string>>>> = Object.freeze({
  20: Object.freeze({ receiver: '--max-semi-space-size=32', translator: '--max-semi-space-size=64', start: '--max-semi-space-size=64' }),
  24: Object.freeze({ receiver: '--max-semi-space-size=16', translator: '--max-semi-space-size=64', start: '--max-semi-space-size=64' }),
});

/** The defaults for Node.js major `major`: Node 20's below 22, Node 24's from 22 on (the lines package.json supports). */
export function defaultNodeOptions(major: number): Readonly<Record<string, string>> {
  return major >= 22 ? BY_NODE_LINE[24] : BY_NODE_LINE[20];
}

/** The defaults for the running Node.js (what `meshray stack` and the benches start services with). */
export const DEFAULT_NODE_OPTIONS: Readonly<Record<string, string>> = defaultNodeOptions(RUNNING_NODE_MAJOR);

/**
 * `NODE_OPTIONS` for a child process running the CLI command `command`: the environment's own
 * `NODE_OPTIONS` when it has one (even empty: the operator chose it), else the default above for that
 * command on Node.js major `major` (default: the running one), else undefined (leave it unset).
 */
export function nodeOptionsFor(command: string, env: Readonly<Record<string, string | undefined>>, major = RUNNING_NODE_MAJOR): string | undefined {
  return env['NODE_OPTIONS'] ?? defaultNodeOptions(major)[command];
}
