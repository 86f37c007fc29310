/** Segment documents for the xray-local unit tests (the harness itself is test/support/xray-local.ts). */
/** 2023-09-12T06:06:56Z: the epoch of every test trace id unless given. */
export const EPOCH_SEC = 0x65000000;
/**
 * xray-local's clock in these tests: two hours after EPOCH_SEC. xray-local judges trace-id dates as X-Ray does at
 * that time (a trace id dated beyond 30 days back or 5 minutes ahead is refused).
 */
export const NOW_MS = (EPOCH_SEC + 7200) * 1000;

export const traceId = (n: number, epochSec: number = EPOCH_SEC): string =>
  `1-${epochSec.toString(16).padStart(8, '0')}-${n.toString(16).padStart(24, '0')}`;

export const hexId = (n: number): string => n.toString(16).padStart(16, '0');

/** A valid segment document object; override any field (set a field to undefined to drop it). */
export function segmentDoc(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    name: 'productpage',
    id: hexId(1),
    trace_id: traceId(1),
    start_time: EPOCH_SEC + 1,
    end_time: EPOCH_SEC + 1.25,
    ...fields,
  };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return doc;
}

export const segmentJson = (fields: Record<string, unknown> = {}): string => JSON.stringify(segmentDoc(fields));
