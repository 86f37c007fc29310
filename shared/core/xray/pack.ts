/**
 * Segment packing: the translator's one-document-per-span output, folded into one document per service hop.
 *
 * An independent subsegment (`"type":"subsegment"` with a `parent_id`) whose parent document is among the
 * input (same trace id) is nested in that parent's `subsegments` array, recursively: a SERVER span's
 * segment carries its service's CLIENT spans (remote subsegments) and local spans, a gateway's root
 * segment its remote subsegment. Segments are never nested (each stays its service's node). Nesting drops
 * `trace_id`, `parent_id` and `type` from the nested document, as the X-Ray segment document reference
 * says of embedded subsegments ("Subsegments" section: `trace_id`/`parent_id`/`type` are required of
 * subsegments sent separately only); X-Ray (and xray-local, store/trace-entities.ts) reads an embedded
 * subsegment and an independent one with the same parent the same way.
 *
 * A packed document over `maxBytes` (X-Ray's 64 KB) has its largest subsegment split off as an
 * independent document (with what it nests) until it fits.
 *
 * Deterministic: the output depends on the SET of documents, not their order. Duplicates (same trace id
 * and id, e.g. a span delivered twice) become one document (the lexically smallest JSON); nested
 * subsegments are ordered by start time then id, documents by trace id, start time, id.
 */
import type { TranslatedDocument } from './translate.ts';
import { fitsBytes } from './limits.ts';

/** One document to export, and the spans (indices into the translator's input) it carries. */
export interface PackedDocument {
  /** Sorted, unique. */
  readonly spanIndices: readonly number[];
  /** Id of the outermost (segment or independent subsegment) document. */
  readonly segmentId: string;
  /** Ids of the documents it carries: the outermost first, then those nested in it (depth first). */
  readonly segmentIds: readonly string[];
  readonly traceId: string;
  readonly json: string;
}

export interface PackOutput {
  readonly documents: PackedDocument[];
  /** Subsegments split off as independent documents because their parent's document passed `maxBytes`. */
  readonly split: number;
}

interface Node {
  readonly key: string;
  doc: TranslatedDocument;
  readonly spanIndices: Set<number>;
  readonly children: Node[];
  embedded?: string;
}

/** PACKING=off: today's shape, one document per translated document. */
export function documentsAsIs(docs: readonly TranslatedDocument[]): PackedDocument[] {
  return docs.map((d) => ({ spanIndices: [d.spanIndex], segmentId: d.segmentId, segmentIds: [d.segmentId], traceId: d.traceId, json: d.json }));
}

/** PACKING=on: nests subsegments in their parents' documents (see the module comment). */
export function packDocuments(docs: readonly TranslatedDocument[], maxBytes: number): PackOutput {
  const nodes = new Map<string, Node>();
  for (const doc of docs) {
    const key = `${doc.traceId}:${doc.segmentId}`;
    const node = nodes.get(key);
    if (node === undefined) nodes.set(key, { key, doc, spanIndices: new Set([doc.spanIndex]), children: [] });
    else {
      node.spanIndices.add(doc.spanIndex);
      if (doc.json < node.doc.json) node.doc = doc;
    }
  }
  const nested = new Set<Node>();
  for (const node of nodes.values()) {
    const { doc } = node;
    if (!doc.subsegment || doc.parentId === undefined) continue;
    const parent = nodes.get(`${doc.traceId}:${doc.parentId}`);
    if (parent === undefined || parent === node) continue;
    parent.children.push(node);
    nested.add(node);
  }
  for (const node of nodes.values()) node.children.sort(byStart);

  const roots = [...nodes.values()].filter((n) => !nested.has(n));
  const reached = new Set<Node>();
  const reach = (root: Node): void => {
    const stack = [root];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (reached.has(n)) continue;
      reached.add(n);
      stack.push(...n.children);
    }
  };
  roots.forEach(reach);
  if (reached.size < nodes.size) {
    // Subsegments whose parent_id chain loops (malformed input): the smallest key of each loop is a root.
    const left = [...nodes.values()].filter((n) => !reached.has(n)).sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const n of left) {
      if (reached.has(n)) continue;
      roots.push(n);
      reach(n);
    }
  }
  roots.sort(byTraceThenStart);

  const documents: PackedDocument[] = [];
  let split = 0;
  const placed = new Set<Node>();
  // A root, or a subsegment split off a document that was too large: it keeps what was kept under it there.
  const queue: { root: Node; kept?: Map<Node, Node[]> }[] = roots.map((root) => ({ root }));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const root = next.root;
    let kept = next.kept;
    if (kept === undefined) {
      // Children already placed elsewhere (a loop broken above) are not nested twice.
      const fresh = new Map<Node, Node[]>();
      const keep = (n: Node): void => {
        placed.add(n);
        const children = n.children.filter((c) => !placed.has(c));
        fresh.set(n, children);
        children.forEach(keep);
      };
      keep(root);
      kept = fresh;
    }
    for (;;) {
      const json = renderOf(root, true, kept);
      const children = kept.get(root) ?? [];
      if (children.length === 0 || fitsBytes(json, maxBytes)) {
        documents.push({ spanIndices: spanIndicesOf(root, kept), segmentId: root.doc.segmentId, segmentIds: segmentIdsOf(root, kept), traceId: root.doc.traceId, json });
        break;
      }
      let largest = 0;
      for (let i = 1; i < children.length; i += 1) {
        if (renderOf(children[i] as Node, false, kept).length > renderOf(children[largest] as Node, false, kept).length) largest = i;
      }
      const [off] = children.splice(largest, 1);
      if (off !== undefined) queue.push({ root: off, kept }); // with its subsegments (kept under it here)
      split += 1;
    }
  }
  return { documents, split };
}

function byStart(a: Node, b: Node): number {
  return a.doc.startMicros - b.doc.startMicros || (a.doc.segmentId < b.doc.segmentId ? -1 : a.doc.segmentId > b.doc.segmentId ? 1 : 0);
}

function byTraceThenStart(a: Node, b: Node): number {
  if (a.doc.traceId !== b.doc.traceId) return a.doc.traceId < b.doc.traceId ? -1 : 1;
  return byStart(a, b);
}

function spanIndicesOf(root: Node, kept: ReadonlyMap<Node, Node[]>): number[] {
  const out = new Set<number>();
  const stack = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    for (const i of n.spanIndices) out.add(i);
    stack.push(...(kept.get(n) ?? []));
  }
  return [...out].sort((a, b) => a - b);
}

function segmentIdsOf(root: Node, kept: ReadonlyMap<Node, Node[]>): string[] {
  const out: string[] = [];
  const visit = (n: Node): void => {
    out.push(n.doc.segmentId);
    (kept.get(n) ?? []).forEach(visit);
  };
  visit(root);
  return out;
}

/** The node's document (independent, or in its embedded form) with its kept children nested. */
function renderOf(node: Node, independent: boolean, kept: ReadonlyMap<Node, Node[]>): string {
  const own = independent ? node.doc.json : (node.embedded ??= embeddedJsonOf(node.doc));
  const children = kept.get(node) ?? [];
  if (children.length === 0) return own;
  const nestedJson = children.map((c) => renderOf(c, false, kept)).join(',');
  return `${own.slice(0, -1)},"subsegments":[${nestedJson}]}`;
}

/**
 * The subsegment as an embedded document: without `trace_id`, `parent_id` and `type`. The translator
 * writes these members in the document's head, before any member that could hold the same text, so the
 * first occurrence is theirs; a document laid out otherwise is edited as an object.
 */
export function embeddedJsonOf(doc: TranslatedDocument): string {
  let json: string | undefined = doc.json;
  json = withoutMember(json, `,"trace_id":"${doc.traceId}"`);
  if (json !== undefined && doc.parentId !== undefined) json = withoutMember(json, `,"parent_id":"${doc.parentId}"`);
  if (json !== undefined) json = withoutMember(json, ',"type":"subsegment"');
  if (json !== undefined) return json;
  const object = JSON.parse(doc.json) as Record<string, unknown>;
  delete object['trace_id'];
  delete object['parent_id'];
  delete object['type'];
  return JSON.stringify(object);
}

function withoutMember(json: string, member: string): string | undefined {
  const at = json.indexOf(member);
  return at < 0 ? undefined : json.slice(0, at) + json.slice(at + member.length);
}
