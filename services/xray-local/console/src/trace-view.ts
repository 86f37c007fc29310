import { batchGetTraces, isZipkinTraceId, xrayIdsOfZipkinTrace } from './api-client.ts';
import type { SegmentDocument } from './api-types.ts';
import { h } from './dom.ts';
import { formatSec, formatTime, plural } from './format.ts';
import { rangeParams, routeHref } from './route.ts';
import { renderSegmentDetails } from './segment-details.ts';
import { type TimelineRow, buildTimeline } from './timeline-rows.ts';
import type { ViewContext } from './view-context.ts';

/** Rows drawn at most (a trace can hold thousands of subsegments). */
export const MAX_TIMELINE_ROWS = 2000;

const outcomeOf = (d: SegmentDocument): string =>
  d.fault ? 'fault' : d.throttle ? 'throttle' : d.error ? 'error' : d.in_progress ? 'progress' : 'ok';

/** Round tick steps (seconds) for the time axis. */
function tickStep(spanSec: number): number {
  const target = spanSec / 6;
  const steps = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
  return steps.find((s) => s >= target) ?? 600;
}

function tickLabel(sec: number, stepSec: number): string {
  if (sec === 0) return '0';
  if (stepSec >= 1) return `${Number(sec.toFixed(0))} s`;
  const ms = sec * 1000;
  return `${stepSec >= 0.001 ? Number(ms.toFixed(0)) : Number(ms.toFixed(2))} ms`;
}

function axis(spanSec: number): HTMLElement {
  const step = tickStep(spanSec);
  const ticks: HTMLElement[] = [];
  for (let i = 0; i * step <= spanSec + 1e-9; i += 1) {
    const t = i * step;
    const tick = h('span', { class: `tick${i === 0 ? ' first' : ''}` }, tickLabel(t, step));
    tick.style.left = `${(t / spanSec) * 100}%`;
    ticks.push(tick);
  }
  return h('div', { class: 'axis' }, ...ticks);
}

function timelineRow(row: TimelineRow, startSec: number, spanSec: number, onSelect: (row: TimelineRow) => void): HTMLElement {
  const d = row.doc;
  const outcome = outcomeOf(d);
  const endSec = row.endSec ?? startSec + spanSec;
  const bar = h('div', { class: `bar ${row.kind} ${outcome}${d.namespace === 'remote' ? ' remote' : ''}` });
  bar.style.left = `${((row.startSec - startSec) / spanSec) * 100}%`;
  bar.style.width = `${Math.max(0.15, ((endSec - row.startSec) / spanSec) * 100)}%`;
  const label = h('span', { class: 'bar-label' }, row.endSec === undefined ? 'in progress' : formatSec(row.endSec - row.startSec));
  label.style.left = `calc(${((endSec - startSec) / spanSec) * 100}% + 6px)`;
  const status = d.http?.response?.status;
  const name = h('div', { class: 'tl-name' },
    h('span', { class: `kind-dot ${row.kind}${d.namespace ? ` ${d.namespace}` : ''}`, title: row.kind }),
    h('span', { class: 'tl-label', title: d.name }, d.name));
  name.style.paddingLeft = `${8 + row.depth * 16}px`;
  const el = h('div', { class: `tl-row ${row.kind}`, 'data-row-id': row.id, 'data-name': d.name, 'data-kind': row.kind, tabindex: 0, role: 'button' },
    name,
    h('div', { class: 'tl-status' }, status === undefined ? '' : h('span', { class: `badge ${outcome}` }, String(status))),
    h('div', { class: 'tl-method' }, d.http?.request?.method ?? ''),
    h('div', { class: 'tl-track' }, bar, label));
  el.addEventListener('click', () => onSelect(row));
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') onSelect(row);
  });
  return el;
}

/** The trace timeline: BatchGetTraces for one id, a waterfall nested by parent, a details drawer. */
export async function renderTraceView(main: HTMLElement, traceId: string, ctx: ViewContext): Promise<void> {
  const back = h('a', { class: 'back', href: routeHref('traces', rangeParams(ctx.params)) }, '← Traces');
  main.append(h('div', { class: 'loading' }, 'Loading trace…'));
  // A Zipkin id (from Envoy's logs or `x-b3-traceid`) is looked up as the X-Ray id(s) stored for it: the translator
  // may have rewritten its first 8 hex digits (EPOCH_POLICY), so as given it named no stored trace.
  const xrayIds = isZipkinTraceId(traceId) ? await xrayIdsOfZipkinTrace(traceId, ctx.signal) : [traceId];
  if (xrayIds.length > 1) {
    main.replaceChildren(back, h('div', { class: 'card' }, `Zipkin trace ${traceId} is stored as ${xrayIds.length} X-Ray traces: `,
      ...xrayIds.map((id) => h('a', { class: 'trace-link', href: routeHref('trace', rangeParams(ctx.params), id) }, id, ' '))));
    return;
  }
  const result = await batchGetTraces([xrayIds[0] ?? traceId], ctx.signal);
  main.replaceChildren();
  const trace = result.Traces[0];
  if (!trace) {
    const why = isZipkinTraceId(traceId)
      ? `No trace is stored for Zipkin trace id ${traceId} (looked up by its last 16 hex digits, its low 64 bits, as its X-Ray id keeps them): evicted, or never received.`
      : `Trace ${traceId} is not stored (evicted, or never received).`;
    main.append(back, h('div', { class: 'card empty' }, why));
    return;
  }
  const documents: SegmentDocument[] = [];
  for (const segment of trace.Segments) {
    try {
      documents.push(JSON.parse(segment.Document) as SegmentDocument);
    } catch {
      // xray-local stores only documents that parsed; nothing to show otherwise.
    }
  }
  const timeline = buildTimeline(documents);
  const spanSec = Math.max(timeline.endSec - timeline.startSec, 1e-6);
  const rows = timeline.rows.slice(0, MAX_TIMELINE_ROWS);
  const segments = timeline.rows.filter((r) => r.kind === 'segment');
  const entry = segments.find((r) => r.doc.parent_id === undefined) ?? segments[0];
  const faults = timeline.rows.filter((r) => r.doc.fault).length;
  const errors = timeline.rows.filter((r) => r.doc.error || r.doc.throttle).length;
  const services = new Set(segments.map((r) => r.name));

  const drawer = h('div', { class: 'drawer' });
  const list = h('div', { class: 'tl-rows' });
  let selectedId: string | undefined;
  const select = (row: TimelineRow | undefined): void => {
    selectedId = row?.id;
    list.querySelectorAll<HTMLElement>('.tl-row').forEach((el) => el.classList.toggle('selected', el.dataset['rowId'] === selectedId));
    drawer.replaceChildren(...(row ? [renderSegmentDetails(row, () => select(undefined))] : []));
    layoutBox.classList.toggle('with-drawer', row !== undefined);
  };
  list.append(...rows.map((row) => timelineRow(row, timeline.startSec, spanSec, select)));

  const header = h('section', { class: 'card trace-head' },
    h('div', { class: 'trace-title' }, h('h2', {}, 'Trace ', h('span', { class: 'mono', 'data-testid': 'trace-id' }, trace.Id))),
    h('div', { class: 'facts' },
      fact('Entry', entry ? `${entry.doc.http?.request?.method ?? ''} ${entry.doc.http?.request?.url ?? entry.name}`.trim() : '–'),
      fact('Started', formatTime(timeline.startSec)),
      fact('Duration', formatSec(trace.Duration)),
      fact('Services', String(services.size)),
      fact('Segments', `${plural(segments.length, 'segment')} · ${plural(timeline.rows.length - segments.length, 'subsegment')}`),
      fact('Faults / errors', `${faults} / ${errors}`, faults > 0 ? 'fault' : errors > 0 ? 'error' : undefined)));
  const waterfall = h('section', { class: 'card waterfall', 'data-testid': 'timeline' },
    h('div', { class: 'tl-row tl-header' }, h('div', { class: 'tl-name' }, 'Name'), h('div', { class: 'tl-status' }, 'Status'),
      h('div', { class: 'tl-method' }, 'Method'), h('div', { class: 'tl-track' }, axis(spanSec))),
    list,
    timeline.rows.length > rows.length ? h('p', { class: 'muted' }, `First ${rows.length} of ${timeline.rows.length} entries shown.`) : null);
  const layoutBox = h('div', { class: 'trace-layout' }, waterfall, drawer);
  main.append(back, header, layoutBox);
}

function fact(label: string, value: string, cls?: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'muted' }, label), h('div', { class: cls }, value));
}
