/**
 * The Bookinfo fixture trace (test/fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json, Istio
 * 1.7.4) as model spans, and copies of it that are distinct traces: the low 64 bits of the trace id and every
 * span id are XORed with the copy's number, so copies never share a trace or span id and parents still
 * match. The fixture's old epoch is kept (EPOCH_POLICY=auto rewrites it).
 */
import { readFileSync } from 'node:fs';
import { decodeJsonV2 } from '../../shared/core/zipkin/index.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';

const decoded = decodeJsonV2(readFileSync(new URL('../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url)));
if (!decoded.ok) throw new Error('the Bookinfo fixture does not decode');

/** The fixture's spans, as decoded. */
export const BOOKINFO_SPANS: readonly Span[] = decoded.value;

const xor = (id: string, n: number): string => (BigInt(`0x${id}`) ^ BigInt(n)).toString(16).padStart(16, '0');

/** Copy `n` (≥ 1) of the Bookinfo trace, with its own trace and span ids. */
export function bookinfoTrace(n: number): Span[] {
  return BOOKINFO_SPANS.map((s) => {
    const { parentId, ...rest } = s;
    return { ...rest, traceId: s.traceId.slice(0, 16) + xor(s.traceId.slice(16), n), id: xor(s.id, n), ...(parentId ? { parentId: xor(parentId, n) } : {}) };
  });
}

/** `copies` Bookinfo traces, copies `salt * 1000 + 1` onwards, their spans in one list. */
export const bookinfoCopies = (copies: number, salt: number): Span[] =>
  Array.from({ length: copies }, (_, c) => bookinfoTrace(salt * 1000 + c + 1)).flat();

/**
 * `spans` with every timestamp (the span's and its annotations') moved by the same amount so that the earliest
 * starts at `startMicros`. A trace id epoch out of X-Ray's window is then rewritten to the span's own start,
 * the same in every run; dated 2019, it is rewritten to the first UTC midnight of the window, which moves at
 * each midnight, so two runs either side of one gave different trace ids (found by an audit of clock-dependent tests).
 */
export function startingAt(spans: readonly Span[], startMicros: number): Span[] {
  const earliest = Math.min(...spans.flatMap((s) => [s.timestampMicros ?? Infinity, ...s.annotations.map((a) => a.timestampMicros)]));
  if (earliest === Infinity) return [...spans]; // nothing dated: nothing to move
  const shift = startMicros - earliest;
  return spans.map((s) => ({
    ...s,
    ...(s.timestampMicros !== undefined ? { timestampMicros: s.timestampMicros + shift } : {}),
    annotations: s.annotations.map((a) => ({ ...a, timestampMicros: a.timestampMicros + shift })),
  }));
}
