import type { SegmentDocument } from './api-types.ts';
import { h } from './dom.ts';
import { formatSec, formatTime } from './format.ts';
import type { TimelineRow } from './timeline-rows.ts';

const TABS = ['Overview', 'HTTP', 'Annotations', 'Metadata', 'Zipkin span', 'Raw'] as const;
type Tab = (typeof TABS)[number];

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function kv(rows: ReadonlyArray<[string, unknown]>): HTMLElement {
  const present = rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (present.length === 0) return h('p', { class: 'muted' }, 'Nothing recorded.');
  return h('table', { class: 'kv' }, ...present.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, show(v)))));
}

const json = (value: unknown): HTMLElement => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));

function overview(row: TimelineRow): HTMLElement {
  const d = row.doc;
  const outcome = d.fault ? 'fault' : d.throttle ? 'throttle' : d.error ? 'error' : d.in_progress ? 'in progress' : 'ok';
  const exceptions = d.cause?.exceptions ?? [];
  return h('div', {},
    kv([
      ['Name', d.name], ['Kind', row.kind === 'segment' ? 'segment' : `subsegment${d.namespace ? ` (${d.namespace})` : ''}`],
      ['ID', d.id], ['Parent ID', d.parent_id ?? (row.kind === 'subsegment' ? '(embedded)' : undefined)],
      ['Trace ID', d.trace_id], ['Origin', d.origin],
      ['Start', formatTime(d.start_time)], ['End', d.end_time === undefined ? undefined : formatTime(d.end_time)],
      ['Duration', d.end_time === undefined ? 'in progress' : formatSec(d.end_time - d.start_time)],
      ['Outcome', outcome], ['Service version', d.service?.version],
    ]),
    row.missingParentId ? h('p', { class: 'warning' }, `Parent ${row.missingParentId} is not in this trace (partial trace).`) : null,
    exceptions.length > 0 ? h('h4', {}, 'Cause') : null,
    exceptions.length > 0 ? json(d.cause) : null,
  );
}

function http(d: SegmentDocument): HTMLElement {
  if (!d.http) return h('p', { class: 'muted' }, 'No http block.');
  const req = d.http.request ?? {};
  const res = d.http.response ?? {};
  return h('div', {},
    h('h4', {}, 'Request'),
    kv([['Method', req.method], ['URL', req.url], ['User agent', req.user_agent], ['Client IP', req.client_ip], ['X-Forwarded-For', req.x_forwarded_for], ['Traced', req.traced]]),
    h('h4', {}, 'Response'),
    kv([['Status', res.status], ['Content length', res.content_length]]));
}

function annotations(d: SegmentDocument): HTMLElement {
  const entries = Object.entries(d.annotations ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No annotations.');
  return h('table', { class: 'grid compact' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', {}, 'Value'), h('th', {}, 'Type'))),
    h('tbody', {}, ...entries.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono wrap' }, String(v)), h('td', { class: 'muted' }, typeof v)))));
}

function metadata(d: SegmentDocument): HTMLElement {
  const namespaces = Object.entries(d.metadata ?? {}).filter(([ns]) => ns !== 'zipkin');
  if (namespaces.length === 0) return h('p', { class: 'muted' }, 'No metadata (besides the Zipkin span).');
  return h('div', {}, ...namespaces.flatMap(([ns, values]) => [
    h('h4', {}, ns),
    values !== null && typeof values === 'object' && !Array.isArray(values)
      ? h('table', { class: 'grid compact' }, h('tbody', {}, ...Object.entries(values).map(([k, v]) =>
        h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono wrap' }, show(v))))))
      : json(values),
  ]));
}

function zipkin(d: SegmentDocument): HTMLElement {
  const span = d.metadata?.['zipkin'];
  if (!span) return h('p', { class: 'muted' }, 'This document carries no metadata.zipkin (it was not translated from a Zipkin span).');
  const local = span['localEndpoint'] as { serviceName?: string } | undefined;
  const remote = span['remoteEndpoint'] as { serviceName?: string } | undefined;
  return h('div', {},
    kv([['Trace ID', span['traceId']], ['Span ID', span['id']], ['Parent ID', span['parentId']], ['Kind', span['kind']], ['Name', span['name']],
      ['Local service', local?.serviceName], ['Remote service', remote?.serviceName]]),
    h('h4', {}, 'Span fields'),
    json(span));
}

function body(tab: Tab, row: TimelineRow): HTMLElement {
  switch (tab) {
    case 'Overview': return overview(row);
    case 'HTTP': return http(row.doc);
    case 'Annotations': return annotations(row.doc);
    case 'Metadata': return metadata(row.doc);
    case 'Zipkin span': return zipkin(row.doc);
    case 'Raw': return json(row.doc);
  }
}

/** The segment details drawer: overview, http block, annotations, metadata, source Zipkin span, raw JSON. */
export function renderSegmentDetails(row: TimelineRow, onClose: () => void, initialTab: Tab = 'Overview'): HTMLElement {
  let tab: Tab = initialTab;
  const content = h('div', { class: 'tab-body', 'data-testid': 'segment-tab-body' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const select = (next: Tab): void => {
    tab = next;
    tabs.querySelectorAll('button').forEach((button) => button.setAttribute('aria-selected', String(button.dataset['tab'] === tab)));
    content.replaceChildren(body(tab, row));
  };
  for (const name of TABS) {
    const count = name === 'Annotations' ? Object.keys(row.doc.annotations ?? {}).length : undefined;
    const button = h('button', { type: 'button', role: 'tab', 'data-tab': name }, name, count ? h('span', { class: 'count' }, String(count)) : null);
    button.addEventListener('click', () => select(name));
    tabs.append(button);
  }
  select(tab);
  return h('aside', { class: 'panel segment-panel', 'data-testid': 'segment-details', 'data-segment-id': row.id },
    h('div', { class: 'panel-head' },
      h('div', {}, h('h2', {}, row.name), h('div', { class: 'muted mono' }, `${row.kind} ${row.id}`)),
      h('button', { type: 'button', class: 'button icon', title: 'Close', onclick: onClose }, '×')),
    tabs, content);
}
