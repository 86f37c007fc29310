import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';
import type { StoredTrace } from '../store/segment-store.ts';
import { type TraceEntity, entitiesOf } from '../store/trace-entities.ts';
import { type ServiceId, serviceIdOf, serviceKey } from '../summary/service-id.ts';
import { GraphStatistics, type HistogramEntry, type SummaryStatistics } from './graph-statistics.ts';

export interface Edge {
  ReferenceId: number;
  StartTime: number;
  EndTime: number;
  SummaryStatistics: SummaryStatistics;
  ResponseTimeHistogram: HistogramEntry[];
  Aliases: never[];
}

export interface Service {
  ReferenceId: number;
  Name: string;
  Names: string[];
  Type: string;
  State: 'active';
  Root: boolean;
  StartTime: number;
  EndTime: number;
  Edges: Edge[];
  SummaryStatistics: SummaryStatistics;
  DurationHistogram: HistogramEntry[];
  ResponseTimeHistogram: HistogramEntry[];
}

interface Node {
  readonly id: ServiceId;
  root: boolean;
  readonly stats: GraphStatistics;
  readonly edges: Map<string, GraphStatistics>;
}

/** Which documents count: those overlapping a window (GetServiceGraph) or all (GetTraceGraph). */
export type DocumentWindow = (doc: SegmentDocument) => boolean;

export const overlapping = (startSec: number, endSec: number): DocumentWindow => (doc) =>
  doc.start_time <= endSec && (doc.end_time ?? doc.start_time) >= startSec;

const isRemoteCall = (doc: SegmentDocument): boolean => doc.namespace === 'remote' || doc.namespace === 'aws';

/** The node a remote subsegment stands for when no segment of the callee is in the trace. */
const syntheticIdOf = (doc: SegmentDocument): ServiceId => ({
  Name: doc.name,
  Names: [doc.name],
  Type: doc.namespace === 'aws' ? `AWS::${doc.name}` : 'remote',
});

/**
 * Builds X-Ray's service graph: one node per service (segment name and type); an edge from the caller's
 * node for each remote (`namespace` remote or aws) subsegment, to the node of the segment whose
 * parent_id is that subsegment, else to a synthetic node named after the subsegment (type `remote`).
 * A segment whose parent is a segment or a non-remote subsegment of another service also gets an edge,
 * with the callee's own statistics. Node statistics come from the node's segments (or, for synthetic
 * nodes, the subsegments that stand for them); edge statistics from the calling subsegments.
 */
export function buildServiceGraph(traces: Iterable<StoredTrace>, inWindow: DocumentWindow): Service[] {
  const nodes = new Map<string, Node>();
  const nodeFor = (id: ServiceId): Node => {
    const key = serviceKey(id);
    let node = nodes.get(key);
    if (!node) {
      node = { id, root: false, stats: new GraphStatistics(), edges: new Map() };
      nodes.set(key, node);
    }
    return node;
  };
  const edgeStats = (from: Node, to: Node): GraphStatistics => {
    const key = serviceKey(to.id);
    let stats = from.edges.get(key);
    if (!stats) {
      stats = new GraphStatistics();
      from.edges.set(key, stats);
    }
    return stats;
  };

  for (const trace of traces) {
    const entities = entitiesOf(trace);
    const byId = new Map<string, TraceEntity>(entities.map((e) => [e.id, e]));
    const segments = entities.filter((e) => e.kind === 'segment');
    const calleesOf = new Map<string, TraceEntity[]>();
    for (const segment of segments) {
      if (segment.parentId === undefined) continue;
      const list = calleesOf.get(segment.parentId) ?? [];
      list.push(segment);
      calleesOf.set(segment.parentId, list);
    }
    const ownerNode = (entity: TraceEntity): Node | undefined => {
      const owner = entity.ownerSegmentId === undefined ? undefined : byId.get(entity.ownerSegmentId);
      if (!owner) return undefined;
      const node = nodeFor(serviceIdOf(owner.doc));
      node.stats.touch(owner.doc);
      return node;
    };

    for (const segment of segments) {
      if (!inWindow(segment.doc)) continue;
      const node = nodeFor(serviceIdOf(segment.doc));
      node.stats.add(segment.doc);
      if (segment.parentId === undefined) node.root = true;
      // A caller that is not a remote subsegment: the edge carries the callee's own view.
      const parent = segment.parentId === undefined ? undefined : byId.get(segment.parentId);
      if (parent && !(parent.kind === 'subsegment' && isRemoteCall(parent.doc))) {
        const caller = ownerNode(parent);
        if (caller && caller !== node) edgeStats(caller, node).add(segment.doc);
      }
    }

    for (const call of entities) {
      if (call.kind !== 'subsegment' || !isRemoteCall(call.doc) || !inWindow(call.doc)) continue;
      const caller = ownerNode(call);
      if (!caller) continue;
      const callee = calleesOf.get(call.id)?.[0];
      let target: Node;
      if (callee) {
        target = nodeFor(serviceIdOf(callee.doc));
        target.stats.touch(callee.doc);
      } else {
        target = nodeFor(syntheticIdOf(call.doc));
        target.stats.add(call.doc);
      }
      edgeStats(caller, target).add(call.doc);
    }
  }

  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const byName = (a: Node, b: Node): number => cmp(a.id.Name, b.id.Name) || cmp(a.id.Type, b.id.Type);
  const ordered = [...nodes.values()].sort(byName);
  const referenceIds = new Map(ordered.map((node, index) => [serviceKey(node.id), index]));
  return ordered.map((node, index) => {
    const histogram = node.stats.histogram();
    const edges: Edge[] = [...node.edges.entries()]
      .map(([key, stats]) => ({
        ReferenceId: referenceIds.get(key) ?? -1,
        StartTime: stats.startSec,
        EndTime: stats.endSec,
        SummaryStatistics: stats.summary(),
        ResponseTimeHistogram: stats.histogram(),
        Aliases: [],
      }))
      .sort((a, b) => a.ReferenceId - b.ReferenceId);
    return {
      ReferenceId: index,
      Name: node.id.Name,
      Names: node.id.Names,
      Type: node.id.Type,
      State: 'active',
      Root: node.root,
      StartTime: node.stats.startSec,
      EndTime: node.stats.endSec,
      Edges: edges,
      SummaryStatistics: node.stats.summary(),
      DurationHistogram: histogram,
      ResponseTimeHistogram: histogram,
    };
  });
}
