/**
 * The V8 options each service runs with by default: a larger young generation (`--max-semi-space-size`, in
 * MiB per semi-space; V8's default on 64-bit is 16). Fewer objects live through enough scavenges to be
 * promoted to the old generation, so V8's helper threads mark and sweep less. Measured side by side, one
 * variant against the other, on a quiet machine (docs/sizing.md, "Young generation"):
 * - receiver, 32 MiB: −20 % CPU per span saturated, RSS after saturation 245/254 → 188/194 MiB;
 * - translator, 64 MiB: −10 % CPU per span draining a backlog (`BENCH=drain`), peak RSS unchanged;
 * - all-in-one (`start`), 64 MiB: −13 % CPU per span at 80 % of its capacity (`BENCH=all-in-one`).
 * xray-local showed no win (its handler in process: 27.8 / 26.6 / 30.3 µs per document for 16 / 32 / 64 MiB),
 * so it keeps V8's default.
 *
 * V8 reads these flags once, when the process starts (`v8.setFlagsFromString` later does not resize the
 * young generation), so they cannot be set from inside the service: they are set where each service is
 * launched, as `NODE_OPTIONS`, which an operator's own value replaces: `meshray stack`, the k8s ConfigMaps,
 * docker-compose.yml and the benches read this table; `npm start` passes the flag on node's command line
 * (where it wins over NODE_OPTIONS). The old generation's growing factor, by contrast, is read each time V8
 * recomputes its limit, so the receiver sets it itself from HEAP_GROWING_PERCENT (shared/edge/runtime/heap-growing.ts).
 */
export const DEFAULT_NODE_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  receiver: '--max-semi-space-size=32',
  translator: '--max-semi-space-size=64',
  start: '--max-semi-space-size=64',
});

/**
 * `NODE_OPTIONS` for a child process running the CLI command `command`: the environment's own
 * `NODE_OPTIONS` when it has one (even empty: the operator chose it), else the default above for that
 * command, else undefined (leave it unset).
 */
export function nodeOptionsFor(command: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env['NODE_OPTIONS'] ?? DEFAULT_NODE_OPTIONS[command];
}
