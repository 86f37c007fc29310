import type { SegmentDocument } from './api-types.ts';

/** One bar of the trace waterfall: a segment or subsegment, sent on its own or embedded in another. */
export interface TimelineRow {
  readonly id: string;
  readonly name: string;
  readonly kind: 'segment' | 'subsegment';
  readonly depth: number;
  readonly doc: SegmentDocument;
  readonly startSec: number;
  /** Undefined while in progress. */
  readonly endSec: number | undefined;
  /** The parent named by the document but absent from the trace (a partial trace). */
  readonly missingParentId: string | undefined;
}

export interface Timeline {
  readonly rows: TimelineRow[];
  readonly startSec: number;
  readonly endSec: number;
}

interface Entity {
  readonly doc: SegmentDocument;
  readonly kind: 'segment' | 'subsegment';
  readonly parentId: string | undefined;
}

const embeddedOf = (doc: SegmentDocument): SegmentDocument[] => {
  const subs = (doc as { subsegments?: unknown }).subsegments;
  return Array.isArray(subs) ? (subs as SegmentDocument[]) : [];
};

/**
 * Nests a trace's documents by parent: an embedded subsegment under the document holding it, any other
 * document under its `parent_id` (a segment under the remote subsegment that called it). Documents whose
 * parent is not in the trace become roots. Siblings are ordered by start time; each row is listed once.
 */
export function buildTimeline(documents: readonly SegmentDocument[]): Timeline {
  const entities = new Map<string, Entity>();
  const add = (doc: SegmentDocument, kind: 'segment' | 'subsegment', parentId: string | undefined): void => {
    if (typeof doc.id !== 'string' || entities.has(doc.id)) return;
    entities.set(doc.id, { doc, kind, parentId });
    for (const child of embeddedOf(doc)) add(child, 'subsegment', doc.id);
  };
  for (const doc of documents) add(doc, doc.type === 'subsegment' ? 'subsegment' : 'segment', doc.parent_id);

  const children = new Map<string | undefined, Entity[]>();
  for (const entity of entities.values()) {
    const parent = entity.parentId !== undefined && entities.has(entity.parentId) ? entity.parentId : undefined;
    const list = children.get(parent) ?? [];
    list.push(entity);
    children.set(parent, list);
  }
  const byStart = (a: Entity, b: Entity): number => a.doc.start_time - b.doc.start_time || (a.kind === b.kind ? 0 : a.kind === 'segment' ? -1 : 1);

  const rows: TimelineRow[] = [];
  const visited = new Set<string>();
  const visit = (entity: Entity, depth: number): void => {
    if (visited.has(entity.doc.id)) return;
    visited.add(entity.doc.id);
    const { doc } = entity;
    rows.push({
      id: doc.id,
      name: doc.name,
      kind: entity.kind,
      depth,
      doc,
      startSec: doc.start_time,
      endSec: doc.end_time,
      missingParentId: entity.parentId !== undefined && !entities.has(entity.parentId) ? entity.parentId : undefined,
    });
    for (const child of [...(children.get(doc.id) ?? [])].sort(byStart)) visit(child, depth + 1);
  };
  for (const root of [...(children.get(undefined) ?? [])].sort(byStart)) visit(root, 0);
  // Parent cycles leave documents unreached: list them as roots rather than hide them.
  for (const entity of [...entities.values()].sort(byStart)) visit(entity, 0);

  let startSec = Infinity;
  let endSec = -Infinity;
  for (const row of rows) {
    startSec = Math.min(startSec, row.startSec);
    endSec = Math.max(endSec, row.endSec ?? row.startSec);
  }
  if (rows.length === 0) return { rows, startSec: 0, endSec: 0 };
  return { rows, startSec, endSec };
}
