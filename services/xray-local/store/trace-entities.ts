import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { StoredTrace } from './segment-store.ts';

/** A segment or subsegment of a trace, whether sent as its own document or embedded in `subsegments`. */
export interface TraceEntity {
  readonly kind: 'segment' | 'subsegment';
  /** Fields shared by segments and subsegments (embedded subsegments carry no trace_id). */
  readonly doc: SegmentDocument;
  readonly id: string;
  /** For a segment: its caller's subsegment (if any); for a subsegment: the entity it is nested in. */
  readonly parentId: string | undefined;
  /** The id of the segment this entity belongs to (itself for a segment); undefined when the chain is broken. */
  readonly ownerSegmentId: string | undefined;
}

const childrenOf = (doc: SegmentDocument): SegmentDocument[] => {
  const subs = (doc as { subsegments?: unknown }).subsegments;
  return Array.isArray(subs) ? (subs as SegmentDocument[]) : [];
};

/** Subsegments embedded in `doc` (its `subsegments` array, recursively): with PACKING=on, one per span besides the document's own. */
export function nestedSubsegmentCount(doc: SegmentDocument): number {
  let count = 0;
  for (const child of childrenOf(doc)) count += 1 + nestedSubsegmentCount(child);
  return count;
}

/** Flattens a trace into its entities, each tied to the segment that owns it. */
export function entitiesOf(trace: StoredTrace): TraceEntity[] {
  interface Draft { kind: 'segment' | 'subsegment'; doc: SegmentDocument; id: string; parentId: string | undefined; owner: string | undefined }
  const drafts: Draft[] = [];
  const walk = (doc: SegmentDocument, parentId: string | undefined, owner: string | undefined): void => {
    for (const child of childrenOf(doc)) {
      drafts.push({ kind: 'subsegment', doc: child, id: child.id, parentId, owner });
      walk(child, child.id, owner);
    }
  };
  for (const stored of trace.segments.values()) {
    const doc = stored.parsed;
    const isSegment = doc.type !== 'subsegment';
    const owner = isSegment ? doc.id : undefined;
    drafts.push({ kind: isSegment ? 'segment' : 'subsegment', doc, id: doc.id, parentId: doc.parent_id, owner });
    walk(doc, doc.id, owner);
  }
  // Independent subsegments (and what they embed) find their segment through the parent_id chain.
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const resolve = (draft: Draft): string | undefined => {
    const seen = new Set<string>();
    let current: Draft | undefined = draft;
    while (current && current.owner === undefined && current.kind === 'subsegment' && !seen.has(current.id)) {
      seen.add(current.id);
      current = current.parentId === undefined ? undefined : byId.get(current.parentId);
    }
    return current?.owner;
  };
  return drafts.map((d) => ({ kind: d.kind, doc: d.doc, id: d.id, parentId: d.parentId, ownerSegmentId: d.owner ?? resolve(d) }));
}

/** Start and end (epoch seconds) of a trace: earliest start, latest end (or start when in progress). */
export function traceBoundsSec(trace: StoredTrace): { startSec: number; endSec: number } {
  let startSec = Infinity;
  let endSec = -Infinity;
  for (const { parsed } of trace.segments.values()) {
    startSec = Math.min(startSec, parsed.start_time);
    endSec = Math.max(endSec, parsed.end_time ?? parsed.start_time);
  }
  return { startSec, endSec };
}

/** The entry segment: a segment without a parent, else the earliest segment, else the earliest document. */
export function rootSegmentOf(trace: StoredTrace): SegmentDocument | undefined {
  const docs = [...trace.segments.values()].map((s) => s.parsed).sort((a, b) => a.start_time - b.start_time);
  const segments = docs.filter((d) => d.type !== 'subsegment');
  return segments.find((d) => d.parent_id === undefined) ?? segments[0] ?? docs[0];
}
