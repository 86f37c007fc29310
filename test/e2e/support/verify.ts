/** Checks what xray-local holds against the ledger; returns every problem found (empty = all good). */
import type { ExpectedDocuments } from './traffic.ts';
import { expandNested, type StoredDocument } from '../../support/xray-local.ts';

export interface LedgerCheck {
  readonly problems: string[];
  /** Expected segment ids not stored. */
  readonly missing: readonly string[];
  /** Stored documents whose segment id the ledger does not know (spans posted without a 202 may arrive). */
  readonly extra: number;
}

/**
 * Documents are first expanded (`expandNested`): a subsegment nested in a packed document (PACKING=on)
 * counts as stored, under its outer document's trace id, exactly as if it had been sent on its own.
 * - every expected segment id is stored, exactly once (an overwrite keeps one copy; a second copy under
 *   another X-Ray trace id would be a duplicate);
 * - all documents of a Zipkin trace carry ONE X-Ray trace id, ending in the trace's low 64 bits.
 * `tolerated`: segment ids that may be present without being expected (posted, not acknowledged).
 */
export function checkAgainstLedger(documents: readonly StoredDocument[], expected: ExpectedDocuments, tolerated: ReadonlySet<string> = new Set()): LedgerCheck {
  const problems: string[] = [];
  const stored = expandNested(documents);
  const copies = new Map<string, StoredDocument[]>();
  for (const d of stored) copies.set(d.id, [...(copies.get(d.id) ?? []), d]);
  const missing: string[] = [];
  for (const id of expected.traceKeyOf.keys()) if (!copies.has(id)) missing.push(id);
  if (missing.length > 0) problems.push(`${missing.length} of ${expected.documents} ledgered documents missing, e.g. ${missing.slice(0, 5).join(', ')}`);
  const duplicated = [...copies.entries()].filter(([, list]) => list.length > 1);
  if (duplicated.length > 0) {
    problems.push(`${duplicated.length} segment ids stored more than once, e.g. ${duplicated.slice(0, 3).map(([id, l]) => `${id} in ${l.map((d) => d.traceId).join(' & ')}`).join('; ')}`);
  }
  let extra = 0;
  for (const id of copies.keys()) {
    if (expected.traceKeyOf.has(id)) continue;
    if (!tolerated.has(id)) problems.push(`stored segment ${id} was never posted`);
    extra += 1;
  }
  const xrayIdsOfTrace = new Map<string, Set<string>>();
  for (const d of stored) {
    const key = expected.traceKeyOf.get(d.id);
    if (key === undefined) continue;
    const set = xrayIdsOfTrace.get(key) ?? new Set<string>();
    set.add(d.traceId);
    xrayIdsOfTrace.set(key, set);
    if (!d.traceId.endsWith(key)) problems.push(`segment ${d.id}: X-Ray trace id ${d.traceId} does not end with the Zipkin trace's low 64 bits ${key}`);
    const inDocument = (JSON.parse(d.document) as { trace_id?: string }).trace_id;
    if (inDocument !== d.traceId) problems.push(`segment ${d.id}: document trace_id ${inDocument} filed under ${d.traceId}`);
  }
  const split = [...xrayIdsOfTrace.entries()].filter(([, ids]) => ids.size > 1);
  if (split.length > 0) problems.push(`${split.length} traces carry several X-Ray trace ids, e.g. ${split.slice(0, 3).map(([k, ids]) => `${k}: ${[...ids].join(' | ')}`).join('; ')}`);
  return { problems, missing, extra };
}
