import { Counter, Gauge, type Registry } from 'prom-client';
import type { SegmentStore } from './store/segment-store.ts';

/** Per-document outcomes of xray-local, as counters (never one log line per document). */
export interface XRayLocalMetrics {
  readonly segmentsAccepted: Counter;
  readonly segmentsRejected: Counter<'reason'>;
  readonly segmentsThrottled: Counter;
  readonly callsThrottled: Counter;
  readonly tracesEvicted: Counter;
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
  return {
    segmentsAccepted: new Counter({ name: 'meshray_xray_local_segments_accepted_total', help: 'segment documents stored (including overwrites)', registers }),
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
