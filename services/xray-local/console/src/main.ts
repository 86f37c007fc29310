/**
 * The xray-local console: service map, trace list and trace timeline over xray-local's own X-Ray API.
 * Bundled by esbuild (services/xray-local/console/bundle-console.ts) into /console/app.js and app.css.
 */
import './app.css';
import { ApiError } from './api-client.ts';
import { clear, h } from './dom.ts';
import { renderMapView } from './map-view.ts';
import { type Route, parseRoute, rangeOf, rangeParams, routeHref } from './route.ts';
import { DEFAULT_RANGE_KEY, RANGE_PRESETS } from './time-range.ts';
import { renderTraceView } from './trace-view.ts';
import { renderTracesView } from './traces-view.ts';
import type { ViewContext } from './view-context.ts';

const toLocalInput = (sec: number): string => {
  const d = new Date(sec * 1000 - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const fromLocalInput = (value: string): number => Math.floor(new Date(value).getTime() / 1000);

function header(route: Route, nowSec: number): HTMLElement {
  const range = route.params.get('range') ?? DEFAULT_RANGE_KEY;
  const keep = rangeParams(route.params);
  const tab = (view: 'map' | 'traces', label: string): HTMLElement =>
    h('a', { class: `nav-tab${route.view === view || (view === 'traces' && route.view === 'trace') ? ' active' : ''}`, href: routeHref(view, keep) }, label);

  const select = h('select', { 'aria-label': 'Time range', 'data-testid': 'time-range' },
    ...RANGE_PRESETS.map((p) => h('option', { value: p.key, selected: p.key === range }, p.label)),
    h('option', { value: 'custom', selected: range === 'custom' }, 'Custom…'));
  const resolved = rangeOf(route.params, nowSec);
  const from = h('input', { type: 'datetime-local', value: toLocalInput(resolved.startSec), 'aria-label': 'From' });
  const to = h('input', { type: 'datetime-local', value: toLocalInput(resolved.endSec), 'aria-label': 'To' });
  const custom = h('span', { class: 'custom-range', hidden: range !== 'custom' }, from, '–', to);
  const go = (): void => {
    const params = new URLSearchParams(route.params);
    params.set('range', select.value);
    params.delete('from');
    params.delete('to');
    if (select.value === 'custom') {
      params.set('from', String(fromLocalInput(from.value)));
      params.set('to', String(fromLocalInput(to.value)));
    }
    location.hash = routeHref(route.view, params, route.traceId);
  };
  select.addEventListener('change', () => {
    custom.hidden = select.value !== 'custom';
    go();
  });
  from.addEventListener('change', go);
  to.addEventListener('change', go);
  const refresh = h('button', { type: 'button', class: 'button', title: 'Reload with the current time' }, '↻ Refresh');
  refresh.addEventListener('click', () => render());

  return h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: routeHref('map', keep) }, h('span', { class: 'logo' }, 'X'), h('span', {}, 'X-Ray local'), h('span', { class: 'muted' }, 'meshray')),
    h('nav', {}, tab('map', 'Service map'), tab('traces', 'Traces')),
    h('div', { class: 'spacer' }),
    h('div', { class: 'range' }, select, custom, refresh));
}

let controller: AbortController | undefined;

async function render(): Promise<void> {
  controller?.abort();
  const current = new AbortController();
  controller = current;
  const route = parseRoute(location.hash);
  const nowSec = Date.now() / 1000;
  const ctx: ViewContext = { params: route.params, range: rangeOf(route.params, nowSec), signal: current.signal, nowSec };
  const app = document.getElementById('app') ?? document.body;
  const main = h('main', { class: `view view-${route.view}` });
  clear(app);
  app.append(header(route, nowSec), main);
  document.title = `${route.view === 'map' ? 'Service map' : route.view === 'traces' ? 'Traces' : `Trace ${route.traceId ?? ''}`} · X-Ray local`;
  try {
    if (route.view === 'traces') await renderTracesView(main, ctx);
    else if (route.view === 'trace' && route.traceId !== undefined) await renderTraceView(main, route.traceId, ctx);
    else await renderMapView(main, ctx);
    if (!current.signal.aborted) document.body.dataset['ready'] = route.view;
  } catch (error) {
    if (current.signal.aborted) return;
    const message = error instanceof ApiError ? `${error.type}: ${error.message}` : String(error);
    main.replaceChildren(h('div', { class: 'card error-box' }, h('strong', {}, 'Could not load this view. '), message));
  }
}

window.addEventListener('hashchange', () => {
  delete document.body.dataset['ready'];
  void render();
});
void render();
