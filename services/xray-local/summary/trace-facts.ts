import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { StoredTrace } from '../store/segment-store.ts';
import { type TraceEntity, entitiesOf, rootSegmentOf, traceBoundsSec } from '../store/trace-entities.ts';

/** What summaries and filters need to know about one trace, computed once per query. */
export interface TraceFacts {
  readonly trace: StoredTrace;
  readonly entities: readonly TraceEntity[];
  readonly root: SegmentDocument | undefined;
  readonly startSec: number;
  readonly endSec: number;
  readonly durationSec: number;
  /** Root segment's end minus its start (0 while it is in progress). */
  readonly responseTimeSec: number;
  readonly hasFault: boolean;
  readonly hasError: boolean;
  readonly hasThrottle: boolean;
  /** A document is in progress, or a parent_id points at nothing in the trace. */
  readonly isPartial: boolean;
}

export function factsOf(trace: StoredTrace): TraceFacts {
  const entities = entitiesOf(trace);
  const root = rootSegmentOf(trace);
  const { startSec, endSec } = traceBoundsSec(trace);
  const ids = new Set(entities.map((e) => e.id));
  const isPartial = entities.some((e) => e.doc.in_progress === true || (e.parentId !== undefined && !ids.has(e.parentId)));
  return {
    trace,
    entities,
    root,
    startSec,
    endSec,
    durationSec: Math.max(0, endSec - startSec),
    responseTimeSec: root?.end_time === undefined ? 0 : Math.max(0, root.end_time - root.start_time),
    hasFault: entities.some((e) => e.doc.fault === true),
    hasError: entities.some((e) => e.doc.error === true),
    hasThrottle: entities.some((e) => e.doc.throttle === true),
    isPartial,
  };
}
