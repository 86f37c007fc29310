import { graphlib, layout } from '@dagrejs/dagre';
import type { Service } from './api-types.ts';
import { clear, h, svg } from './dom.ts';
import { formatCount, formatMs, formatPercent, plural } from './format.ts';
import { isRemoteNode, type NodeStats, nodeTypeLabel, statsOf } from './graph-stats.ts';

const NODE_WIDTH = 240;
const NODE_HEIGHT = 92;
const RING_RADIUS = 18;

export interface ServiceMapOptions {
  /** Clicking a node selects it (undefined: the background was clicked). */
  readonly onSelect?: (service: Service | undefined) => void;
  readonly selected?: number | undefined;
}

interface LaidOutNode {
  x: number;
  y: number;
}
interface LaidOutEdge {
  points: { x: number; y: number }[];
  x: number;
  y: number;
}

const nodeKey = (ref: number): string => `n${ref}`;

/** The donut around a node: ok, error, throttle and fault shares of its requests. */
function ring(stats: NodeStats, cx: number, cy: number): SVGGElement {
  const group = svg('g', { class: 'ring' });
  const circumference = 2 * Math.PI * RING_RADIUS;
  group.append(svg('circle', { cx, cy, r: RING_RADIUS, class: 'ring-track' }));
  if (stats.total === 0) return group;
  let offset = 0;
  const parts: Array<[string, number]> = [
    ['ring-ok', stats.ok],
    ['ring-error', stats.errors],
    ['ring-throttle', stats.throttles],
    ['ring-fault', stats.faults],
  ];
  for (const [cls, count] of parts) {
    if (count === 0) continue;
    const length = (count / stats.total) * circumference;
    group.append(svg('circle', {
      cx, cy, r: RING_RADIUS, class: `ring-part ${cls}`,
      'stroke-dasharray': `${length} ${circumference - length}`,
      'stroke-dashoffset': String(-offset),
      transform: `rotate(-90 ${cx} ${cy})`,
    }));
    offset += length;
  }
  return group;
}

/** A smooth path through dagre's edge points. */
function edgePath(points: readonly { x: number; y: number }[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i += 1) {
    const p = rest[i] as { x: number; y: number };
    const q = rest[i + 1] as { x: number; y: number };
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = rest[rest.length - 1];
  if (last) d += ` L${last.x},${last.y}`;
  return d;
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Renders a GetServiceGraph answer as an SVG map laid out left to right by dagre: one card per service
 * (health-coloured border, request-outcome ring, requests, error/fault/throttle rates, mean and p95
 * latency) and one arrow per edge labelled with its call count.
 */
export function renderServiceMap(container: HTMLElement, services: readonly Service[], options: ServiceMapOptions = {}): void {
  clear(container);
  if (services.length === 0) {
    container.append(h('div', { class: 'empty' }, 'No services in this time range. Send spans, or widen the time range.'));
    return;
  }
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
  for (const service of services) g.setNode(nodeKey(service.ReferenceId), { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const service of services) {
    for (const edge of service.Edges) {
      if (!byRef.has(edge.ReferenceId) || edge.ReferenceId === service.ReferenceId) continue;
      g.setEdge(nodeKey(service.ReferenceId), nodeKey(edge.ReferenceId), { width: 110, height: 20, labelpos: 'c' });
    }
  }
  layout(g);
  const graph = g.graph() as { width?: number; height?: number };
  const width = Math.max(graph.width ?? 0, NODE_WIDTH + 48);
  const height = Math.max(graph.height ?? 0, NODE_HEIGHT + 48);

  const root = svg('svg', {
    class: 'service-map', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `Service map with ${plural(services.length, 'node')}`,
  });
  root.style.maxWidth = '100%';
  root.style.height = 'auto';
  const defs = svg('defs');
  for (const health of ['ok', 'warn', 'bad', 'idle']) {
    defs.append(svg('marker', {
      id: `arrow-${health}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 11, markerHeight: 11, markerUnits: 'userSpaceOnUse',
      orient: 'auto-start-reverse',
    }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow arrow-${health}` })));
  }
  root.append(defs);
  root.addEventListener('click', (event) => {
    if (event.target === root) options.onSelect?.(undefined);
  });

  const edgeLayer = svg('g', { class: 'edges' });
  for (const service of services) {
    for (const edge of service.Edges) {
      const target = byRef.get(edge.ReferenceId);
      const laid = g.edge(nodeKey(service.ReferenceId), nodeKey(edge.ReferenceId)) as LaidOutEdge | undefined;
      if (!target || !laid) continue;
      const stats = statsOf(edge.SummaryStatistics, edge.ResponseTimeHistogram);
      const strokeWidth = Math.min(6, 1.5 + Math.log10(Math.max(1, stats.total)));
      const label = `${formatCount(stats.total)} · ${formatMs(stats.avgMs)}`;
      // 11px text: about 6 px a character, plus the pill's padding.
      const labelWidth = Math.max(56, label.length * 6 + 16);
      const title = `${service.Name} → ${target.Name}: ${plural(stats.total, 'call')}, ${formatPercent(stats.faultRate)} faults, ` +
        `${formatPercent(stats.errorRate + stats.throttleRate)} errors, avg ${formatMs(stats.avgMs)}, p95 ${formatMs(stats.p95Ms)}`;
      edgeLayer.append(svg('g', { class: `edge health-${stats.health}`, 'data-from': service.Name, 'data-to': target.Name },
        svg('title', {}, title),
        svg('path', { d: edgePath(laid.points), 'stroke-width': strokeWidth.toFixed(2), 'marker-end': `url(#arrow-${stats.health})` }),
        svg('rect', { class: 'edge-label-bg', x: laid.x - labelWidth / 2, y: laid.y - 10, width: labelWidth, height: 20, rx: 10 }),
        svg('text', { class: 'edge-label', x: laid.x, y: laid.y + 4, 'text-anchor': 'middle' }, label),
      ));
    }
  }
  root.append(edgeLayer);

  const nodeLayer = svg('g', { class: 'nodes' });
  for (const service of services) {
    const laid = g.node(nodeKey(service.ReferenceId)) as LaidOutNode | undefined;
    if (!laid) continue;
    const stats = statsOf(service.SummaryStatistics, service.ResponseTimeHistogram);
    const x = laid.x - NODE_WIDTH / 2;
    const y = laid.y - NODE_HEIGHT / 2;
    const selected = options.selected === service.ReferenceId;
    const node = svg('g', {
      class: `node health-${stats.health}${selected ? ' selected' : ''}${service.Root ? ' root' : ''}${isRemoteNode(service) ? ' remote' : ''}`,
      'data-service': service.Name, 'data-type': service.Type, tabindex: 0, role: 'button',
      'aria-label': `${service.Name}: ${plural(stats.total, 'request')}`,
    },
    svg('title', {}, `${service.Name} (${service.Type})`),
    svg('rect', { class: 'card', x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 10 }),
    svg('rect', { class: 'health-bar', x, y, width: 6, height: NODE_HEIGHT, rx: 3 }),
    ring(stats, x + 33, y + 38),
    svg('text', { class: `ring-label${formatCount(stats.total).length > 3 ? ' long' : ''}`, x: x + 33, y: y + 42, 'text-anchor': 'middle' }, formatCount(stats.total)),
    svg('text', { class: 'ring-caption', x: x + 33, y: y + 72, 'text-anchor': 'middle' }, 'req'),
    svg('text', { class: 'node-name', x: x + 60, y: y + 22 }, truncate(service.Name, 22)),
    svg('text', { class: 'node-type', x: x + 60, y: y + 38 }, truncate(nodeTypeLabel(service), 28)),
    svg('text', { class: 'node-stat', x: x + 60, y: y + 58 },
      svg('tspan', { class: stats.faults > 0 ? 'fault' : undefined }, `${formatPercent(stats.faultRate)} fault`),
      ' · ',
      svg('tspan', { class: stats.errors > 0 ? 'error' : undefined }, `${formatPercent(stats.errorRate)} err`),
      ' · ',
      svg('tspan', { class: stats.throttles > 0 ? 'throttle' : undefined }, `${formatPercent(stats.throttleRate)} thr`)),
    svg('text', { class: 'node-stat', x: x + 60, y: y + 76 }, `avg ${formatMs(stats.avgMs)} · p95 ${formatMs(stats.p95Ms)}`),
    );
    const select = (): void => options.onSelect?.(service);
    node.addEventListener('click', select);
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') select();
    });
    nodeLayer.append(node);
  }
  root.append(nodeLayer);
  container.append(root);
}

