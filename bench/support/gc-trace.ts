/**
 * V8's GC trace as a child process prints it to stdout (node `--trace-gc` or `--trace-gc-nvp`, passed with
 * BENCH_TRANSLATOR_NODE_FLAGS), summed per kind of collection: how many, the main thread's pause, and (with
 * `--trace-gc-nvp` only) the work V8's helper threads did for it (every `background.*` field: concurrent
 * and parallel marking, parallel scavenging, sweeping, evacuation, the unmapper) and the bytes promoted to
 * the old generation. Lines that are not a GC trace are skipped. Pure.
 */

/** `s` scavenge (young generation), `ms` mark-compact (full), `mmc` minor mark-compact; as --trace-gc-nvp names them. */
export type GcKind = 's' | 'ms' | 'mmc';

export interface GcKindSummary {
  count: number;
  /** Main-thread pause, ms. */
  pauseMs: number;
  /** The helper threads' work for it, ms (--trace-gc-nvp only; 0 with --trace-gc). */
  backgroundMs: number;
  /** Bytes promoted to the old generation (--trace-gc-nvp only). */
  promotedBytes: number;
}

export type GcTraceSummary = Record<GcKind, GcKindSummary>;

export const emptyGcTraceSummary = (): GcTraceSummary => ({
  s: { count: 0, pauseMs: 0, backgroundMs: 0, promotedBytes: 0 },
  ms: { count: 0, pauseMs: 0, backgroundMs: 0, promotedBytes: 0 },
  mmc: { count: 0, pauseMs: 0, backgroundMs: 0, promotedBytes: 0 },
});

// --trace-gc: "[pid:0x…]   1234 ms: Scavenge 3.9 (4.0) -> 3.7 (5.0) MB, 6.55 / 0.00 ms  (average mu …"
const PLAIN = /\d+ ms: (Scavenge|Mark-Compact|Minor Mark-Compact|Mark-Compact \(reduce\))\b.*? MB, ([\d.]+) \/ ([\d.]+) ms/;
const PLAIN_KINDS: Record<string, GcKind> = { Scavenge: 's', 'Mark-Compact': 'ms', 'Mark-Compact (reduce)': 'ms', 'Minor Mark-Compact': 'mmc' };

/** Adds the GC events of `lines` to `into` (and returns it). */
export function addGcTrace(into: GcTraceSummary, lines: Iterable<string>): GcTraceSummary {
  for (const line of lines) {
    if (line.includes(' gc=')) {
      const fields = new Map<string, string>();
      for (const m of line.matchAll(/([\w.]+)=(\S+)/g)) fields.set(m[1] ?? '', m[2] ?? '');
      const kind = fields.get('gc');
      if (kind !== 's' && kind !== 'ms' && kind !== 'mmc') continue;
      const k = into[kind];
      k.count += 1;
      k.pauseMs += Number(fields.get('pause') ?? 0);
      for (const [name, value] of fields) if (name.startsWith('background.')) k.backgroundMs += Number(value) || 0;
      k.promotedBytes += Number(fields.get('promoted') ?? 0) || 0;
      continue;
    }
    const m = PLAIN.exec(line);
    const kind = m === null ? undefined : PLAIN_KINDS[m[1] ?? ''];
    if (m === null || kind === undefined) continue;
    into[kind].count += 1;
    into[kind].pauseMs += Number(m[2]);
  }
  return into;
}

/** Collects the GC trace lines a stream writes while `collecting` (chunks split lines anywhere). */
export class GcTraceCollector {
  #summary = emptyGcTraceSummary();
  #partial = '';
  collecting = false;

  write(chunk: Buffer | string): void {
    const text = this.#partial + chunk.toString();
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    if (this.collecting) addGcTrace(this.#summary, lines);
  }

  /** What was collected since the last `restart`. */
  get summary(): GcTraceSummary {
    return this.#summary;
  }

  /** Forgets what was collected (a new measured window). */
  restart(): void {
    this.#summary = emptyGcTraceSummary();
  }
}
