import type { Span } from '../../../shared/core/zipkin/span.ts';
import { traceKeyOf } from '../../../shared/core/xray/index.ts';

/**
 * The clocks of a batch's per-partition epoch cache, per trace (`traceKeyOf`): the newest Kafka record
 * timestamp (ms, CreateTime: when the receiver published it) among the records of that trace's spans, at
 * most `nowMs`; `nowMs` when none has one (≤ 0). `timestampsMs[i]` is span i's record timestamp. Entries
 * then live `EPOCH_TTL` of receive time from the trace's own records, however far the consumer lags and
 * whatever else the batch holds (the assembly window and redeliveries mix traces received minutes apart).
 * `oldestMs`: the oldest of those clocks, where the cache may be swept.
 */
export function receiveClocksOf(spans: readonly Span[], timestampsMs: readonly number[], nowMs: number): { of(traceKey: string): number; readonly oldestMs: number } {
  const newest = new Map<string, number>();
  for (let i = 0; i < spans.length; i += 1) {
    const t = timestampsMs[i] ?? 0;
    if (!(t > 0)) continue;
    const key = traceKeyOf((spans[i] as Span).traceId);
    if (t > (newest.get(key) ?? 0)) newest.set(key, t);
  }
  const of = (traceKey: string): number => {
    const t = newest.get(traceKey);
    return t !== undefined && t < nowMs ? t : nowMs;
  };
  let oldestMs = nowMs;
  for (const key of newest.keys()) oldestMs = Math.min(oldestMs, of(key));
  return { of, oldestMs };
}
