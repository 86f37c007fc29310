/**
 * The Kafka broker's stop-the-world pauses, read from its JVM unified log (`-Xlog:gc,safepoint`, wall-clock
 * `time` decoration; tools/kafka/kafka.mjs writes `gc.log` beside the broker's server.log). Each safepoint line
 * is written when the pause ends and gives its total in ns ("Safepoint "G1CollectForAllocation", …, Total:
 * 53018075 ns"). The benches line these up with the receiver's slow answers: with ACK_MODE=kafka a POST's 202
 * waits for the broker, so a broker pause shows up as receiver latency that the receiver never caused.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Stall } from '../compare/open-loop.ts';

export interface Safepoint {
  /** Wall-clock start, ms since the epoch (the logged end minus its total). */
  readonly startEpochMs: number;
  readonly totalMs: number;
  /** What stopped the JVM: G1CollectForAllocation (a young collection), G1PauseRemark, Cleanup, … */
  readonly operation: string;
}

const LINE = /^\[([^\]]+)\]\[[^\]]*\] Safepoint "([^"]+)".* Total: (\d+) ns/;

/** The safepoints in `text` (a gc.log), in log order; other lines are skipped. */
export function safepointsOf(text: string): Safepoint[] {
  const out: Safepoint[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const endMs = Date.parse(m[1] as string);
    const totalMs = Number(m[3]) / 1e6;
    if (Number.isFinite(endMs)) out.push({ startEpochMs: endMs - totalMs, totalMs, operation: m[2] as string });
  }
  return out;
}

/** The safepoints of the broker whose gc.log is at `path` (none when there is no such file). */
export function brokerSafepoints(path: string | undefined): Safepoint[] {
  return path !== undefined && existsSync(path) ? safepointsOf(readFileSync(path, 'utf8')) : [];
}

/**
 * For each stall, the longest broker pause of at least `minMs` that overlapped it, from `leadMs` before the
 * stall's first slow request was due (a pause just before it delays it) to the end of its last answer.
 */
export function pausesBehind(stalls: readonly Stall[], safepoints: readonly Safepoint[], minMs = 5, leadMs = 20): (Safepoint | undefined)[] {
  return stalls.map((s) => {
    const from = s.atEpochMs - leadMs;
    const to = s.atEpochMs + s.spanMs;
    let worst: Safepoint | undefined;
    for (const p of safepoints) {
      if (p.totalMs < minMs || p.startEpochMs > to || p.startEpochMs + p.totalMs < from) continue;
      if (worst === undefined || p.totalMs > worst.totalMs) worst = p;
    }
    return worst;
  });
}
