import { getServiceGraph } from './api-client.ts';
import type { Service } from './api-types.ts';
import { h } from './dom.ts';
import { formatCount, formatMs, formatPercent } from './format.ts';
import { isRemoteNode, percentileSec, statsOf } from './graph-stats.ts';
import { rangeParams, routeHref } from './route.ts';
import { renderServiceMap } from './service-map.ts';
import type { ViewContext } from './view-context.ts';

function legend(): HTMLElement {
  const item = (cls: string, label: string): HTMLElement => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}` }), label);
  return h('div', { class: 'legend' },
    item('swatch-ok', 'OK'), item('swatch-error', 'Error (4xx)'), item('swatch-throttle', 'Throttle (429)'), item('swatch-fault', 'Fault (5xx)'),
    h('span', { class: 'legend-note' }, 'Border: green < 1% failed, amber < 5%, red ≥ 5% (faults + errors + throttles).'));
}

function statRow(label: string, value: string, cls?: string): HTMLElement {
  return h('tr', {}, h('th', {}, label), h('td', { class: cls }, value));
}

function servicePanel(service: Service, services: readonly Service[], ctx: ViewContext): HTMLElement {
  const stats = statsOf(service.SummaryStatistics, service.ResponseTimeHistogram);
  const p50 = percentileSec(service.ResponseTimeHistogram, 0.5);
  const p99 = percentileSec(service.ResponseTimeHistogram, 0.99);
  const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
  const callers = services.filter((s) => s.Edges.some((e) => e.ReferenceId === service.ReferenceId));
  const params = rangeParams(ctx.params);
  params.set('service', service.Name);
  return h('aside', { class: 'panel service-panel', 'data-panel-service': service.Name },
    h('h2', {}, service.Name),
    h('div', { class: 'muted' }, `${service.Type}${service.Root ? ' · entry point' : ''}`),
    h('table', { class: 'kv' },
      statRow('Requests', String(stats.total)),
      statRow('OK', `${stats.ok}`),
      statRow('Faults (5xx)', `${stats.faults} (${formatPercent(stats.faultRate)})`, stats.faults > 0 ? 'fault' : undefined),
      statRow('Errors (4xx)', `${stats.errors} (${formatPercent(stats.errorRate)})`, stats.errors > 0 ? 'error' : undefined),
      statRow('Throttles (429)', `${stats.throttles} (${formatPercent(stats.throttleRate)})`, stats.throttles > 0 ? 'throttle' : undefined),
      statRow('Average latency', formatMs(stats.avgMs)),
      statRow('p50 latency', formatMs(p50 === undefined ? undefined : p50 * 1000)),
      statRow('p95 latency', formatMs(stats.p95Ms)),
      statRow('p99 latency', formatMs(p99 === undefined ? undefined : p99 * 1000))),
    h('a', { class: 'button primary', href: routeHref('traces', params) }, 'View traces'),
    service.Edges.length > 0 ? h('h3', {}, 'Calls to') : null,
    service.Edges.length > 0 ? h('table', { class: 'grid compact' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Service'), h('th', { class: 'num' }, 'Calls'), h('th', { class: 'num' }, 'Fault'), h('th', { class: 'num' }, 'p95'))),
      h('tbody', {}, ...service.Edges.map((edge) => {
        const e = statsOf(edge.SummaryStatistics, edge.ResponseTimeHistogram);
        return h('tr', {}, h('td', {}, byRef.get(edge.ReferenceId)?.Name ?? `#${edge.ReferenceId}`), h('td', { class: 'num' }, formatCount(e.total)),
          h('td', { class: 'num' }, formatPercent(e.faultRate)), h('td', { class: 'num' }, formatMs(e.p95Ms)));
      }))) : null,
    callers.length > 0 ? h('h3', {}, 'Called by') : null,
    callers.length > 0 ? h('ul', { class: 'plain' }, ...callers.map((c) => h('li', {}, c.Name))) : null,
  );
}

function overviewPanel(services: readonly Service[]): HTMLElement {
  let total = 0;
  let faults = 0;
  let errors = 0;
  for (const s of services.filter((x) => x.Root)) {
    const stats = statsOf(s.SummaryStatistics, s.ResponseTimeHistogram);
    total += stats.total;
    faults += stats.faults;
    errors += stats.errors + stats.throttles;
  }
  const edges = services.reduce((n, s) => n + s.Edges.length, 0);
  // Counted as the map draws them: traced services, and remote nodes (callees that sent no segment).
  const remote = services.filter(isRemoteNode).length;
  return h('aside', { class: 'panel' },
    h('h2', {}, 'Overview'),
    h('table', { class: 'kv' },
      statRow('Services', String(services.length - remote)),
      remote > 0 ? statRow('Remote nodes', String(remote)) : null,
      statRow('Connections', String(edges)),
      statRow('Entry requests', String(total)),
      statRow('Entry faults', `${faults} (${formatPercent(total ? faults / total : 0)})`, faults > 0 ? 'fault' : undefined),
      statRow('Entry errors', `${errors} (${formatPercent(total ? errors / total : 0)})`, errors > 0 ? 'error' : undefined)),
    h('p', { class: 'muted' }, 'Select a service to see its latency and the services it calls.'),
    legend());
}

/** The service map view: GetServiceGraph for the time range, laid out with dagre, and a side panel. */
export async function renderMapView(main: HTMLElement, ctx: ViewContext): Promise<void> {
  const mapBox = h('div', { class: 'map-box', 'data-testid': 'service-map' }, h('div', { class: 'loading' }, 'Loading service map…'));
  const side = h('div', { class: 'side' });
  main.append(h('section', { class: 'map-layout' }, h('div', { class: 'card map-card' }, mapBox), side));
  const graph = await getServiceGraph(ctx.range, ctx.signal);
  const services = graph.Services;
  let selected: number | undefined;
  const draw = (): void => {
    renderServiceMap(mapBox, services, {
      selected,
      onSelect: (service) => {
        selected = service?.ReferenceId;
        draw();
      },
    });
    const service = services.find((s) => s.ReferenceId === selected);
    side.replaceChildren(service ? servicePanel(service, services, ctx) : overviewPanel(services));
  };
  draw();
}
