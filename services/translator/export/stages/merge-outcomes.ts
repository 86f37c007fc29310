import type { PutOutcome, RejectedDocument } from '../segment-sink.ts';

/** A put of some of the documents: `indices[i]` is where the part's document `i` is in the whole put. */
export interface PartOutcome {
  readonly outcome: PutOutcome;
  readonly indices: readonly number[];
}

/** One PutOutcome from the outcomes of parts of a put, indices into the whole, sorted; the first unfinished part names the code. */
export function mergeOutcomes(parts: readonly PartOutcome[]): PutOutcome {
  const rejected: RejectedDocument[] = [];
  const unfinished: number[] = [];
  let first: PutOutcome['unfinished'];
  for (const { outcome, indices } of parts) {
    const whole = (i: number): number => indices[i] ?? i;
    rejected.push(...outcome.rejected.map((r) => ({ ...r, index: whole(r.index) })));
    if (outcome.unfinished) {
      unfinished.push(...outcome.unfinished.indices.map(whole));
      first ??= outcome.unfinished;
    }
  }
  rejected.sort((a, b) => a.index - b.index);
  if (first === undefined) return { rejected };
  return { rejected, unfinished: { code: first.code, message: first.message, indices: unfinished.sort((a, b) => a - b) } };
}

/** The indices `from` (inclusive) to `to` (exclusive). */
export const indicesOf = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
