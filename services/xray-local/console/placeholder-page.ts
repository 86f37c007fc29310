import type { SegmentStore } from '../store/segment-store.ts';
import { factsOf } from '../summary/trace-facts.ts';

/** Traces listed by the placeholder console. */
export const CONSOLE_TRACE_LIMIT = 100;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A minimal HTML page listing the newest stored traces (the real console replaces it). */
export function renderPlaceholderPage(store: SegmentStore): string {
  const newest = [...store.traces()].slice(-CONSOLE_TRACE_LIMIT).reverse();
  const rows = newest.map((trace) => {
    const facts = factsOf(trace);
    const flags = [facts.hasFault && 'fault', facts.hasError && 'error', facts.hasThrottle && 'throttle'].filter(Boolean).join(' ') || 'ok';
    return `<tr><td><code>${escapeHtml(trace.traceId)}</code></td><td>${escapeHtml(facts.root?.name ?? '')}</td>` +
      `<td>${facts.root?.http?.response?.status ?? ''}</td><td>${trace.segments.size}</td>` +
      `<td>${(facts.durationSec * 1000).toFixed(1)} ms</td><td>${flags}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meshray xray-local</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>
<h1>xray-local</h1>
<p>${store.traceCount} traces, ${store.segmentCount} segment documents held. Newest ${Math.min(CONSOLE_TRACE_LIMIT, store.traceCount)} shown.</p>
<table><thead><tr><th>trace id</th><th>entry</th><th>status</th><th>documents</th><th>duration</th><th>flags</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
