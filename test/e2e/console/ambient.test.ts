/**
 * Issue 8 §5 in a real browser: the same Bookinfo traffic (simulator, same seed and options) sent once in
 * sidecar mode (`modern`: every hop a sidecar CLIENT + SERVER span) and once in Istio ambient mode (`ambient`:
 * no sidecars, the namespace's waypoint reports every hop as `waypoint.default`, ztunnel reports nothing)
 * through `meshray start` (receiver → translator → embedded xray-local) draws the same service map in the
 * console: the same nodes with the same request counts, the same edges with the same call counts, and no
 * `waypoint` node. Each mode gets its own all-in-one, so the two maps cannot mix. Both maps are also checked
 * against the generator's ledger (what the traffic must draw). Application errors are injected; hops that fail
 * in a proxy are compared by the unit test test/unit/services/simulator/generate/ambient.test.ts.
 * Screenshots: test-results/screenshots/ambient-map-*.png. Skipped (with the reason) only when Chromium is absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { main } from '../../../services/all-in-one/main.ts';
import { runDemo, type DemoOptions, type Flavour } from '../../../services/simulator/index.ts';
import { freePort } from '../support/ports.ts';
import { expectedGraph, replayLedger } from './simulator-ledger.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the console browser tests`;
const SCREENSHOTS = 'test-results/screenshots';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const REQUESTS = 60;
const TRAFFIC = { rate: 120, requests: REQUESTS, errorRate: 0.15, faultRate: 0, seed: 21 } as const satisfies DemoOptions;
const GATEWAY = 'istio-ingressgateway.istio-system';

/** The process env without anything that would send the all-in-one to a real X-Ray (it must use its embedded one). */
function embeddedEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && k !== 'XRAY_ENDPOINT') env[k] = v;
  return { ...env, ...extra };
}

interface DrawnMap {
  /** `name (type): requests`, sorted. */
  readonly nodes: string[];
  /** `from -> to: calls`, sorted. */
  readonly edges: string[];
}

async function drawnMap(page: Page): Promise<DrawnMap> {
  const nodes = await page.$$eval('.service-map .node', (els) => els.map((e) =>
    `${e.getAttribute('data-service')} (${e.getAttribute('data-type')}): ${/: (\d+) requests$/.exec(e.getAttribute('aria-label') ?? '')?.[1]}`));
  const edges = await page.$$eval('.service-map .edge', (els) => els.map((e) =>
    `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')}: ${/: (\d+) calls/.exec(e.querySelector('title')?.textContent ?? '')?.[1]}`));
  return { nodes: nodes.sort(), edges: edges.sort() };
}

/** What the traffic must draw, from the generator's ledger, with the gateway named as modern Istio names it. */
function ledgerMap(): DrawnMap {
  const expected = expectedGraph(replayLedger({ ...TRAFFIC, flavour: 'modern' }));
  const rename = (line: string): string => line.replace(/^istio-ingressgateway /, `${GATEWAY} `);
  return { nodes: expected.nodes.map(rename).sort(), edges: expected.edges.map(rename).sort() };
}

describe('sidecar and ambient Bookinfo traffic draw the same service map, in headless Chromium', { skip: SKIP }, () => {
  let browser: Browser;
  const maps = new Map<Flavour, DrawnMap>();

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
  });

  /** Runs the traffic in `flavour` through a fresh all-in-one and reads the console's map once it holds every request. */
  async function mapOf(flavour: Flavour): Promise<DrawnMap> {
    const [receiverPort, xrayLocalPort] = [await freePort(), await freePort()];
    const app = await main(embeddedEnv({
      RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
      XRAY_LOCAL_PORT: String(xrayLocalPort), XRAY_LOCAL_HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    }));
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      assert.deepEqual(app.target, { kind: 'embedded' });
      const baseUrl = `http://127.0.0.1:${xrayLocalPort}`;
      page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
      await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
      const summary = await runDemo({ ...TRAFFIC, flavour, target: `http://127.0.0.1:${receiverPort}` });
      assert.equal(summary.requests, REQUESTS);
      assert.equal(summary.spansAccepted, summary.spans, `${flavour}: every span accepted: ${JSON.stringify(summary.responses)}`);
      assert.ok(summary.injectedErrors > 0, 'the seed injects application errors');

      // The translator works behind the receiver's 202: reload (as a user would) until the map holds every request.
      const expected = ledgerMap();
      let drawn: DrawnMap = { nodes: [], edges: [] };
      const deadline = Date.now() + 25_000;
      for (;;) {
        await page.goto(`${baseUrl}/#/map?range=1h`);
        await page.waitForSelector('body[data-ready="map"]', { timeout: 15_000 });
        drawn = await drawnMap(page);
        if (JSON.stringify(drawn) === JSON.stringify(expected) || Date.now() > deadline) break;
        await page.waitForTimeout(250);
      }
      await page.screenshot({ path: `${SCREENSHOTS}/ambient-map-${flavour}.png`, fullPage: true });
      assert.deepEqual(drawn, expected, `${flavour}: the map the traffic must draw`);
      return drawn;
    } finally {
      await page.close();
      await app.close(2_000);
    }
  }

  test('sidecar mode (modern): the Bookinfo map', { timeout: 60_000 }, async () => {
    const map = await mapOf('modern');
    maps.set('modern', map);
    assert.deepEqual(map.nodes.map((n) => n.replace(/: \d+$/, '')), [
      'details.default (service)', `${GATEWAY} (service)`, 'productpage.default (service)', 'ratings.default (service)', 'reviews.default (service)',
    ]);
  });

  test('ambient mode: the same nodes, edges and counts; no waypoint node', { timeout: 60_000 }, async () => {
    const map = await mapOf('ambient');
    assert.ok(!map.nodes.some((n) => n.startsWith('waypoint')), map.nodes.join(', '));
    const sidecar = maps.get('modern');
    assert.ok(sidecar, 'the sidecar run drew its map first');
    assert.deepEqual(map.nodes, sidecar.nodes);
    assert.deepEqual(map.edges, sidecar.edges);
    assert.deepEqual(map.edges.map((e) => e.replace(/: \d+$/, '')), [
      `${GATEWAY} -> productpage.default`,
      'productpage.default -> details.default',
      'productpage.default -> reviews.default',
      'reviews.default -> ratings.default',
    ]);
  });
});
