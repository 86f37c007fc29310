import { Counter, Gauge, type Registry } from 'prom-client';
import type { SegmentStore } from './store/segment-store.ts';
import { AcceptedWindows } from './accepted-windows.ts';

/** Per-document outcomes of xray-local, as counters (never one log line per document). */
export interface XRayLocalMetrics {
  readonly segmentsAccepted: Counter;
  /** Subsegments embedded in accepted documents: with segmentsAccepted, the segments and subsegments stored (one per span with PACKING=on). */
  readonly subsegmentsNested: Counter;
  readonly segmentsRejected: Counter<'reason'>;
  readonly segmentsThrottled: Counter;
  readonly callsThrottled: Counter;
  readonly tracesEvicted: Counter;
  /** Documents accepted per aligned 10-second window (the export budget's judge). */
  readonly acceptedWindows: AcceptedWindows;
}

export function createXRayLocalMetrics(registry: Registry, store: SegmentStore): XRayLocalMetrics {
  const registers = [registry];
  new Gauge({
    name: 'meshray_xray_local_stored_segments',
    help: 'segment documents held in memory',
    registers,
    collect() {
      this.set(store.segmentCount);
    },
  });
  new Gauge({
    name: 'meshray_xray_local_stored_traces',
    help: 'traces held in memory',
    registers,
    collect() {
      this.set(store.traceCount);
    },
  });
  const acceptedWindows = new AcceptedWindows();
  new Gauge({
    name: 'meshray_xray_local_segments_accepted_max_per_window',
    help: 'largest count of segment documents accepted in one aligned 10-second window (of the last hour): 10 × the highest segments/s an exporter reached',
    registers,
    collect() {
      this.set(acceptedWindows.max);
    },
  });
  return {
    acceptedWindows,
    segmentsAccepted: new Counter({ name: 'meshray_xray_local_segments_accepted_total', help: 'segment documents stored (including overwrites)', registers }),
    subsegmentsNested: new Counter({
      name: 'meshray_xray_local_subsegments_nested_total',
      help: 'subsegments embedded (recursively) in the segment documents stored: added to meshray_xray_local_segments_accepted_total, the segments and subsegments stored',
      registers,
    }),
    segmentsRejected: new Counter({
      name: 'meshray_xray_local_segments_rejected_total',
      help: 'segment documents refused as invalid, by UnprocessedTraceSegments ErrorCode',
      labelNames: ['reason'] as const,
      registers,
    }),
    segmentsThrottled: new Counter({ name: 'meshray_xray_local_segments_throttled_total', help: 'segment documents refused by the emulated throttle', registers }),
    callsThrottled: new Counter({ name: 'meshray_xray_local_calls_throttled_total', help: 'PutTraceSegments calls answered 429 ThrottledException as a whole', registers }),
    tracesEvicted: new Counter({ name: 'meshray_xray_local_traces_evicted_total', help: 'traces dropped to keep the store within XRAY_LOCAL_MAX_SEGMENTS', registers }),
  };
}
