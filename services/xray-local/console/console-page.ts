import type { SegmentStore } from '../store/segment-store.ts';
import { factsOf } from '../summary/trace-facts.ts';

/** Traces the page lists for browsers without JavaScript (and for curl). */
export const FALLBACK_TRACE_LIMIT = 100;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The newest stored traces as table rows (newest arrival first). */
function fallbackRows(store: SegmentStore): string[] {
  const newest: ReturnType<SegmentStore['get']>[] = [];
  // The store iterates oldest first; keep only the last FALLBACK_TRACE_LIMIT without copying every trace.
  for (const trace of store.traces()) {
    newest.push(trace);
    if (newest.length > FALLBACK_TRACE_LIMIT) newest.shift();
  }
  return newest.reverse().flatMap((trace) => {
    if (!trace) return [];
    const facts = factsOf(trace);
    const flags = [facts.hasFault && 'fault', facts.hasError && 'error', facts.hasThrottle && 'throttle'].filter(Boolean).join(' ') || 'ok';
    return [`<tr><td><code>${escapeHtml(trace.traceId)}</code></td><td>${escapeHtml(facts.root?.name ?? '')}</td>` +
      `<td>${facts.root?.http?.response?.status ?? ''}</td><td>${trace.segments.size}</td>` +
      `<td>${(facts.durationSec * 1000).toFixed(1)} ms</td><td>${flags}</td></tr>`];
  });
}

/**
 * The console's HTML shell: the app is /console/app.js (service map, traces, timeline). Without
 * JavaScript the <noscript> block lists the newest traces.
 */
export function renderConsolePage(store: SegmentStore): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>X-Ray local · meshray</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head><body>
<div id="app"></div>
<noscript>
<h1>xray-local</h1>
<p>The console needs JavaScript. ${store.traceCount} traces, ${store.segmentCount} segment documents held; the newest ${Math.min(FALLBACK_TRACE_LIMIT, store.traceCount)}:</p>
<table><thead><tr><th>trace id</th><th>entry</th><th>status</th><th>documents</th><th>duration</th><th>flags</th></tr></thead>
<tbody>
${fallbackRows(store).join('\n')}
</tbody></table>
</noscript>
</body></html>
`;
}
