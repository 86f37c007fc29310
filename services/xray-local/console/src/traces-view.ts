import { ApiError, getTraceSummaries } from './api-client.ts';
import type { TraceSummary } from './api-types.ts';
import { h } from './dom.ts';
import { type StatusFilter, type TraceFilter, buildFilterExpression } from './filter-expression.ts';
import { formatAge, formatSec, formatTime, plural } from './format.ts';
import { rangeParams, routeHref } from './route.ts';
import type { ViewContext } from './view-context.ts';

/** Rows the list renders at most; past it the user narrows the filter (the server pages by 100). */
export const MAX_RENDERED_ROWS = 1000;

const STATUSES: ReadonlyArray<[StatusFilter, string]> = [
  ['', 'Any'], ['ok', 'OK'], ['error', 'Error (4xx)'], ['fault', 'Fault (5xx)'], ['throttle', 'Throttle (429)'],
];

/** The filter as the URL carries it: service, status, http, min (ms), akey, aval, q (advanced). */
export function filterFromParams(params: URLSearchParams): TraceFilter {
  const filter: { -readonly [K in keyof TraceFilter]: TraceFilter[K] } = {};
  const text = (key: string): string | undefined => {
    const value = params.get(key)?.trim();
    return value ? value : undefined;
  };
  const service = text('service');
  if (service !== undefined) filter.service = service;
  const status = text('status');
  if (status !== undefined && STATUSES.some(([s]) => s === status)) filter.status = status as StatusFilter;
  const http = Number(text('http'));
  if (text('http') !== undefined && Number.isInteger(http)) filter.httpStatus = http;
  const min = Number(text('min'));
  if (text('min') !== undefined && Number.isFinite(min) && min > 0) filter.minDurationMs = min;
  const akey = text('akey');
  if (akey !== undefined) {
    filter.annotationKey = akey;
    filter.annotationValue = params.get('aval') ?? '';
  }
  const advanced = text('q');
  if (advanced !== undefined) filter.advanced = advanced;
  return filter;
}

/** The entry segment's HTTP status, coloured by its class (the trace's own flags are in the Flags column). */
function statusBadge(summary: TraceSummary): HTMLElement {
  const status = summary.Http?.HttpStatus;
  if (status === undefined) return h('span', { class: 'muted' }, '–');
  const cls = status === 429 ? 'throttle' : status >= 500 ? 'fault' : status >= 400 ? 'error' : 'ok';
  return h('span', { class: `badge ${cls}` }, String(status));
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function traceRow(summary: TraceSummary, ctx: ViewContext): HTMLElement {
  const href = routeHref('trace', rangeParams(ctx.params), summary.Id);
  const flags = [summary.HasFault && 'fault', summary.HasError && 'error', summary.HasThrottle && 'throttle', summary.IsPartial && 'partial']
    .filter((f): f is string => typeof f === 'string');
  const row = h('tr', { class: 'trace-row', 'data-trace-id': summary.Id, tabindex: 0 },
    h('td', { class: 'mono' }, h('a', { href }, summary.Id)),
    h('td', { title: formatTime(summary.StartTime) }, formatAge(summary.StartTime, ctx.nowSec)),
    h('td', {}, statusBadge(summary)),
    h('td', {}, summary.Http?.HttpMethod ?? ''),
    h('td', { class: 'url', title: summary.Http?.HttpURL ?? '' }, pathOf(summary.Http?.HttpURL)),
    h('td', {}, summary.EntryPoint?.Name ?? ''),
    h('td', { class: 'num' }, formatSec(summary.ResponseTime)),
    h('td', { class: 'num' }, formatSec(summary.Duration)),
    h('td', { class: 'num', title: summary.ServiceIds.map((s) => s.Name).join(', ') }, String(summary.ServiceIds.length)),
    h('td', {}, ...flags.map((f) => h('span', { class: `flag ${f}` }, f))),
  );
  row.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) return;
    location.hash = href;
  });
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') location.hash = href;
  });
  return row;
}

function filterForm(filter: TraceFilter, ctx: ViewContext, services: HTMLDataListElement): HTMLFormElement {
  const input = (name: string, label: string, value: string | number | undefined, attrs: Record<string, string> = {}): HTMLElement =>
    h('label', { class: 'field' }, h('span', {}, label), h('input', { name, value: value === undefined ? '' : String(value), ...attrs }));
  const status = h('select', { name: 'status' }, ...STATUSES.map(([value, label]) => h('option', { value, selected: (filter.status ?? '') === value }, label)));
  const form = h('form', { class: 'card filters', 'data-testid': 'trace-filters' },
    input('service', 'Service', filter.service, { list: 'known-services', placeholder: 'e.g. reviews.default' }),
    h('label', { class: 'field' }, h('span', {}, 'Status'), status),
    input('http', 'HTTP status', filter.httpStatus, { type: 'number', min: '100', max: '599', placeholder: 'e.g. 503', class: 'narrow' }),
    input('min', 'Min duration (ms)', filter.minDurationMs, { type: 'number', min: '0', step: 'any', placeholder: '0', class: 'narrow' }),
    input('akey', 'Annotation', filter.annotationKey, { placeholder: 'key' }),
    input('aval', 'Value', filter.annotationValue, { placeholder: 'value ("0" = text)' }),
    input('q', 'More (filter expression)', filter.advanced, { placeholder: 'e.g. http.method = "POST"', class: 'wide' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Apply'),
      h('a', { class: 'button', href: routeHref('traces', rangeParams(ctx.params)) }, 'Clear')),
    services,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = rangeParams(ctx.params);
    new FormData(form).forEach((value, key) => {
      if (typeof value === 'string' && value.trim() !== '') params.set(key, value.trim());
    });
    if (!params.get('akey')) params.delete('aval');
    location.hash = routeHref('traces', params);
  });
  return form;
}

/**
 * The trace list: GetTraceSummaries with the FilterExpression built from the form, newest first, 100 per
 * page with NextToken ("Load more"), at most MAX_RENDERED_ROWS rows. Never fetches trace documents.
 */
export async function renderTracesView(main: HTMLElement, ctx: ViewContext): Promise<void> {
  const filter = filterFromParams(ctx.params);
  const expression = buildFilterExpression(filter);
  const known = h('datalist', { id: 'known-services' });
  const status = h('div', { class: 'list-status muted', 'data-testid': 'list-status' }, 'Loading traces…');
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Load more');
  main.append(
    filterForm(filter, ctx, known),
    h('div', { class: 'expression' }, h('span', { class: 'muted' }, 'Filter expression: '),
      h('code', { 'data-testid': 'filter-expression' }, expression === '' ? '(none: every trace in the time range)' : expression)),
    h('section', { class: 'card' },
      h('table', { class: 'grid traces', 'data-testid': 'trace-list' },
        h('thead', {}, h('tr', {},
          h('th', {}, 'Trace ID'), h('th', {}, 'Started'), h('th', {}, 'Response'), h('th', {}, 'Method'), h('th', {}, 'URL'),
          h('th', {}, 'Entry point'), h('th', { class: 'num' }, 'Response time'), h('th', { class: 'num' }, 'Duration'),
          h('th', { class: 'num' }, 'Services'), h('th', {}, 'Flags'))),
        tbody),
      h('div', { class: 'list-footer' }, status, more)),
  );

  let shown = 0;
  let scanned = 0;
  let nextToken: string | undefined;
  const seenServices = new Set<string>();
  const loadPage = async (): Promise<void> => {
    more.disabled = true;
    try {
      const page = await getTraceSummaries(ctx.range, expression, nextToken, ctx.signal);
      scanned = page.TracesProcessedCount;
      nextToken = page.NextToken;
      const room = MAX_RENDERED_ROWS - shown;
      const fragment = document.createDocumentFragment();
      for (const summary of page.TraceSummaries.slice(0, room)) {
        fragment.append(traceRow(summary, ctx));
        for (const service of summary.ServiceIds) {
          if (seenServices.has(service.Name)) continue;
          seenServices.add(service.Name);
          known.append(h('option', { value: service.Name }));
        }
      }
      tbody.append(fragment);
      shown += Math.min(room, page.TraceSummaries.length);
      const capped = shown >= MAX_RENDERED_ROWS && nextToken !== undefined;
      more.hidden = nextToken === undefined || capped;
      status.textContent = shown === 0
        ? `No traces match (${plural(scanned, 'trace')} in the time range).`
        : `${shown} trace${shown === 1 ? '' : 's'} shown${nextToken ? ', more match' : ''} · ${scanned} in the time range` +
          (capped ? ` · showing the first ${MAX_RENDERED_ROWS}: narrow the filter or time range` : '');
    } catch (error) {
      if (ctx.signal.aborted) return;
      status.textContent = error instanceof ApiError ? `${error.type}: ${error.message}` : `Could not load traces: ${String(error)}`;
      status.classList.add('error-text');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void loadPage());
  await loadPage();
}
