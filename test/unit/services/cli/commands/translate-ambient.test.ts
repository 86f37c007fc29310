/**
 * Issue 8 §5, acceptance 4: a Bookinfo capture from Istio ambient mode (every layer 7 span reported by the
 * namespace's waypoint as `waypoint.default`; test/fixtures/zipkin/bookinfo-ambient-capture.ndjson, see
 * test/fixtures/README.md) translated with `meshray translate` names no segment `waypoint.*`: each waypoint
 * span is named after the destination service, and the waypoint is kept as the `istio.waypoint` annotation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run } from '../../../../../services/cli/commands/translate.ts';
import { validateSegmentJson } from '../../../../../shared/core/xray/index.ts';
import { runCommand } from '../io.ts';

const CAPTURE = new URL('../../../../fixtures/zipkin/bookinfo-ambient-capture.ndjson', import.meta.url).pathname;
const NOW = '2026-01-15T12:00:00Z';
const BOOKINFO = ['details.default', 'istio-ingressgateway.istio-system', 'productpage.default', 'ratings.default', 'reviews.default'];

interface Doc {
  name: string;
  id: string;
  parent_id?: string;
  type?: string;
  namespace?: string;
  fault?: boolean;
  annotations?: Record<string, unknown>;
  metadata?: { zipkin?: { id: string; localEndpoint?: { serviceName?: string } } };
}

test('the ambient Bookinfo capture is waypoint spans: the input the rule is about', () => {
  const spans = readFileSync(CAPTURE, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { localEndpoint?: { serviceName?: string }; tags: Record<string, string> });
  const waypoint = spans.filter((s) => s.localEndpoint?.serviceName === 'waypoint.default');
  assert.ok(waypoint.length > spans.length / 2, `${waypoint.length} of ${spans.length} spans are the waypoint's`);
  assert.ok(waypoint.every((s) => s.tags['node_id']?.startsWith('waypoint~')));
  assert.ok(!spans.some((s) => /^sidecar~/.test(s.tags['node_id'] ?? '')), 'no sidecars in ambient mode');
});

test('meshray translate names no segment waypoint.*: every waypoint span is its destination service', async () => {
  const r = await runCommand(run, [CAPTURE, '--packing', 'off', '--now', NOW]);
  const spans = readFileSync(CAPTURE, 'utf8').trimEnd().split('\n').length;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^meshray translate: ${spans} spans in \\(ndjson\\), \\d+ documents out, 0 refused\\n$`));
  const lines = r.stdout.trimEnd().split('\n');
  for (const line of lines) {
    const v = validateSegmentJson(line);
    assert.ok(v.ok, v.ok ? line : JSON.stringify(v.issues));
  }
  const docs = lines.map((l) => JSON.parse(l) as Doc);
  assert.deepEqual(docs.filter((d) => /^waypoint/.test(d.name)).map((d) => d.name), [], 'no document is named after the waypoint');
  const segments = docs.filter((d) => d.type !== 'subsegment');
  assert.deepEqual([...new Set(segments.map((d) => d.name))].sort(), BOOKINFO);
  const fromWaypoint = docs.filter((d) => d.metadata?.zipkin?.localEndpoint?.serviceName === 'waypoint.default');
  assert.ok(fromWaypoint.length > 0);
  for (const d of fromWaypoint) assert.equal(d.annotations?.['istio.waypoint'], 'waypoint.default', `${d.name}: the waypoint is an annotation`);
  // The capture has a hop that failed in the waypoint: the caller's remote call, not a segment of the callee.
  const failed = fromWaypoint.filter((d) => d.type === 'subsegment');
  assert.ok(failed.length > 0 && failed.every((d) => d.namespace === 'remote' && d.fault === true));
});

test('calls chain service to service: each waypoint segment\'s parent is its caller\'s segment or the gateway\'s call', async () => {
  const r = await runCommand(run, [CAPTURE, '--packing', 'off', '--now', NOW]);
  const docs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const callerOf: Record<string, string> = {
    'productpage.default': 'productpage.default', 'details.default': 'productpage.default', 'reviews.default': 'productpage.default', 'ratings.default': 'reviews.default',
  };
  const edges = new Set<string>();
  for (const d of docs) {
    if (d.type === 'subsegment' || d.parent_id === undefined) continue;
    const parent = byId.get(d.parent_id);
    assert.ok(parent !== undefined, `${d.name}: its parent is in the capture`);
    edges.add(`${parent.type === 'subsegment' ? `(${parent.name})` : parent.name} -> ${d.name}`);
    if (parent.type === 'subsegment') assert.equal(parent.name, d.name, 'a remote call lands on the segment it names');
    else assert.equal(parent.name, callerOf[d.name]);
  }
  assert.deepEqual([...edges].sort(), [
    '(productpage.default) -> productpage.default',
    'productpage.default -> details.default',
    'productpage.default -> reviews.default',
    'reviews.default -> ratings.default',
  ]);
});
