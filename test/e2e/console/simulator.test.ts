/**
 * The whole local path in a real browser: `meshray start` (services/all-in-one, in-process: receiver →
 * in-process topic → translator → embedded xray-local) fed by the Bookinfo simulator (`runDemo`, Istio
 * ≤ 1.7.3 flavour: every sidecar span is CLIENT, so the translator's kind repair is on the path), with
 * injected application errors and Envoy faults; the console is open in headless Chromium while traffic
 * flows. Checked against the simulator's ledger (its generator replayed with the same seed): the service
 * map's services, edges and counts; the trace list filtered by service, by fault and by Envoy response
 * flag; a trace's timeline rows; a segment's http block, kind repair and source Zipkin span.
 * Screenshots: test-results/screenshots/sim-*.png. Skipped (with the reason) only when Chromium is absent.
 * Run once per EXPORT_PROTOCOL (segments, then otlp: the embedded xray-local's /v1/traces).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { main, type RunningAllInOne } from '../../../services/all-in-one/main.ts';
import { runDemo, type DemoOptions, type DemoSummary } from '../../../services/simulator/index.ts';
import { freePort } from '../support/ports.ts';
import { type LedgerEntry, expectedGraph, keyOfXrayId, replayLedger } from './simulator-ledger.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the console browser tests`;
const SCREENSHOTS = 'test-results/screenshots';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const REQUESTS = 150;
const DEMO = { flavour: '1.7', rate: 40, requests: REQUESTS, errorRate: 0.1, faultRate: 0.05, seed: 7 } as const satisfies DemoOptions;
const BOOKINFO = ['details.default', 'istio-ingressgateway', 'productpage.default', 'ratings.default', 'reviews.default'];

/** The process env without anything that would send the all-in-one to a real X-Ray (it must use its embedded one). */
function embeddedEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && k !== 'XRAY_ENDPOINT') env[k] = v;
  return { ...env, ...extra };
}

const ready = (page: Page, view: 'map' | 'traces' | 'trace'): Promise<unknown> =>
  page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 15_000 });

const shot = (page: Page, name: string, protocol: string): Promise<Buffer> => page.screenshot({ path: `${SCREENSHOTS}/${protocol === 'segments' ? name : `${name}-${protocol}`}.png`, fullPage: true });

/** Every row of the current list, clicking "Load more" until the server has no further page. */
async function allListedIds(page: Page): Promise<string[]> {
  const more = page.locator('button', { hasText: 'Load more' });
  for (;;) {
    if (!(await more.isVisible())) break;
    const shown = await page.locator('.trace-row').count();
    await more.click();
    await page.waitForFunction((n) => document.querySelectorAll('.trace-row').length > n, shown, { timeout: 10_000 });
  }
  return page.$$eval('.trace-row', (rows) => rows.map((r) => r.getAttribute('data-trace-id') ?? ''));
}

async function applyFilters(page: Page, fields: { service?: string; status?: string; q?: string }): Promise<void> {
  await page.fill('input[name="service"]', fields.service ?? '');
  await page.selectOption('select[name="status"]', fields.status ?? '');
  await page.fill('input[name="q"]', fields.q ?? '');
  // The submit changes the hash, whose render is a later task: until it runs, the previous list's marker
  // would still say ready. Clear it first, so only the filtered list's finished render sets it again.
  await page.evaluate(() => { delete document.body.dataset['ready']; });
  await page.click('form[data-testid="trace-filters"] button[type="submit"]');
  await ready(page, 'traces');
}

const keysOf = (ids: readonly string[]): string[] => ids.map(keyOfXrayId).sort();
const ledgerKeys = (entries: readonly LedgerEntry[]): string[] => entries.map((e) => e.key).sort();

/**
 * The same checks for both export protocols (issue 12): EXPORT_PROTOCOL=otlp sends OTLP spans to the embedded
 * xray-local's /v1/traces (Transaction Search on), whose console must show exactly what the segments path shows.
 */
for (const protocol of ['segments', 'otlp'] as const) describe(`simulator → meshray start (EXPORT_PROTOCOL=${protocol}) → console, in headless Chromium`, { skip: SKIP }, () => {
  let app: RunningAllInOne;
  let baseUrl: string;
  let receiverUrl: string;
  let browser: Browser;
  let page: Page;
  const stopDemo = new AbortController();
  const ledger = replayLedger(DEMO);
  /** X-Ray trace id by ledger key, from the full trace list. */
  const xrayIdOf = new Map<string, string>();
  let summary: DemoSummary | undefined;

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const [receiverPort, xrayLocalPort] = [await freePort(), await freePort()];
    app = await main(embeddedEnv({
      RECEIVER_PORT: String(receiverPort), RECEIVER_HOST: '127.0.0.1',
      XRAY_LOCAL_PORT: String(xrayLocalPort), XRAY_LOCAL_HOST: '127.0.0.1', LOG_LEVEL: 'warn', EXPORT_PROTOCOL: protocol,
    }));
    assert.deepEqual(app.target, { kind: 'embedded' });
    receiverUrl = `http://127.0.0.1:${receiverPort}`;
    baseUrl = `http://127.0.0.1:${xrayLocalPort}`;
    // The console bundles its script on first request: do it now, so the page opens while the simulator sends.
    assert.equal((await fetch(`${baseUrl}/console/app.js`)).status, 200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    // Offline: nothing but the xray-local under test may be fetched.
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  });

  after(async () => {
    stopDemo.abort();
    await browser?.close();
    await app?.close(2_000);
  });

  test('while the simulator runs, the service map fills in with the Bookinfo services, edges and counts', { timeout: 40_000 }, async () => {
    const started = performance.now();
    const acceptedTraceIds = new Set<string>();
    let finished = false;
    const demo = runDemo({
      ...DEMO, target: receiverUrl, signal: stopDemo.signal,
      onSpansAccepted: (spans) => spans.forEach((s) => acceptedTraceIds.add(s.traceId)),
    }).finally(() => {
      finished = true;
    });
    demo.catch(() => undefined); // awaited below; never an unhandled rejection if the test fails first

    // The console opens while spans are still arriving; reload (as a user would) until every request is in.
    await page.goto(`${baseUrl}/#/map?range=1h`);
    await ready(page, 'map');
    const gatewayRequests = (): Promise<number> => page.$$eval('.service-map .node[data-service="istio-ingressgateway"]',
      (els) => els.reduce((n, el) => n + Number(/: (\d+) requests$/.exec(el.getAttribute('aria-label') ?? '')?.[1] ?? 0), 0));
    // Counts per node as the map labels them. The gateway's spans can be in before a callee's: wait for every
    // node (a callee whose segment is not in yet is drawn as a `remote` node), not only the gateway's.
    const nodeCounts = async (): Promise<string[]> => (await page.$$eval('.service-map .node', (els) => els.map((e) => ({
      name: e.getAttribute('data-service') ?? '', type: e.getAttribute('data-type') ?? '', label: e.getAttribute('aria-label') ?? '',
    })))).map((n) => `${n.name} (${n.type}): ${/: (\d+) requests$/.exec(n.label)?.[1]}`).sort();
    const expectedNodes = expectedGraph(ledger).nodes;
    const seenWhileRunning: number[] = [];
    const deadline = Date.now() + 25_000;
    for (;;) {
      const seen = await gatewayRequests();
      if (!finished) seenWhileRunning.push(seen);
      if (finished && seen === REQUESTS && JSON.stringify(await nodeCounts()) === JSON.stringify(expectedNodes)) break;
      assert.ok(Date.now() < deadline, `the map shows ${seen} of ${REQUESTS} gateway requests after 25 s; nodes ${(await nodeCounts()).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
      await page.reload();
      await ready(page, 'map');
    }
    summary = await demo;
    const mapMs = performance.now() - started;

    // What was sent is what the ledger says was generated.
    assert.equal(summary.requests, REQUESTS);
    assert.equal(summary.spansAccepted, summary.spans, `every span accepted: ${JSON.stringify(summary.responses)}`);
    assert.deepEqual([...acceptedTraceIds].sort(), ledger.map((e) => e.zipkinTraceId).sort());
    assert.equal(summary.injectedErrors, ledger.filter((e) => e.injected?.kind === 'error').length);
    assert.equal(summary.injectedFaults, ledger.filter((e) => e.injected?.kind === 'fault').length);
    assert.ok(summary.injectedErrors > 0 && summary.injectedFaults > 0, 'the seed injects both errors and faults');

    const nodes = await page.$$eval('.service-map .node', (els) => els.map((e) => ({
      name: e.getAttribute('data-service') ?? '', type: e.getAttribute('data-type') ?? '', label: e.getAttribute('aria-label') ?? '',
    })));
    const services = nodes.filter((n) => n.type !== 'remote').map((n) => n.name).sort();
    assert.deepEqual(services, BOOKINFO, 'one node per Bookinfo service, named as the 1.7 translation names them');
    const expected = expectedGraph(ledger);
    // Counts per node: requests each service served; `remote` nodes are calls that failed in Envoy (no callee segment).
    assert.deepEqual(nodes.map((n) => `${n.name} (${n.type}): ${/: (\d+) requests$/.exec(n.label)?.[1]}`).sort(), expected.nodes);
    const edges = await page.$$eval('.service-map .edge', (els) => els.map((e) => ({
      from: e.getAttribute('data-from') ?? '', to: e.getAttribute('data-to') ?? '', title: e.querySelector('title')?.textContent ?? '',
      label: e.querySelector('.edge-label')?.textContent ?? '',
    })));
    assert.deepEqual([...new Set(edges.map((e) => `${e.from} -> ${e.to}`))].sort(), [
      'istio-ingressgateway -> productpage.default',
      'productpage.default -> details.default',
      'productpage.default -> reviews.default',
      'reviews.default -> ratings.default',
    ]);
    assert.deepEqual(edges.map((e) => `${e.from} -> ${e.to}: ${/: (\d+) calls/.exec(e.title)?.[1]}`).sort(), expected.edges);
    for (const e of edges) assert.match(e.label, /^[1-9]\d* · /, `edge ${e.from} -> ${e.to} is labelled with its non-zero count`);
    await shot(page, 'sim-map', protocol);
    console.log(`${REQUESTS} requests (${summary.spans} spans, ${summary.injectedErrors} errors, ${summary.injectedFaults} faults) ` +
      `sent in ${summary.durationMs} ms; gateway requests seen on the map while sending: [${seenWhileRunning.join(', ')}]; ` +
      `map complete after ${mapMs.toFixed(0)} ms`);
  });

  test('the trace list holds every request and filters by service, by fault and by Envoy response flag', { timeout: 30_000 }, async () => {
    assert.ok(summary, 'the simulator ran');
    await page.goto(`${baseUrl}/#/traces?range=1h`);
    await ready(page, 'traces');
    assert.match(await page.textContent('[data-testid="list-status"]') ?? '', new RegExp(`^100 traces shown, more match · ${REQUESTS} in the time range`));
    const all = await allListedIds(page);
    assert.deepEqual(keysOf(all), ledgerKeys(ledger), 'every simulated request is one trace');
    for (const id of all) xrayIdOf.set(keyOfXrayId(id), id);

    // Service: only traces in which ratings served the call — reviews v2/v3 whose ratings call was not lost to a fault.
    await applyFilters(page, { service: 'ratings.default' });
    assert.equal(await page.textContent('[data-testid="filter-expression"]'), 'service("ratings.default")');
    const withRatings = ledger.filter((e) => e.reached.has('ratings'));
    assert.ok(withRatings.every((e) => e.reviews !== 'v1'));
    const listedRatings = await allListedIds(page);
    assert.equal(listedRatings.length, withRatings.length);
    assert.deepEqual(keysOf(listedRatings), ledgerKeys(withRatings));
    await shot(page, 'sim-list', protocol);

    // Fault (5xx): every injected application error (details 500, ratings 503) and Envoy fault (503), nothing else.
    await applyFilters(page, { status: 'fault' });
    assert.equal(await page.textContent('[data-testid="filter-expression"]'), 'fault');
    const injected = ledger.filter((e) => e.injected !== undefined);
    const listedFaults = await allListedIds(page);
    assert.equal(listedFaults.length, summary.injectedErrors + summary.injectedFaults);
    assert.deepEqual(keysOf(listedFaults), ledgerKeys(injected));
    assert.equal(await page.locator('.trace-row .flag.fault').count(), injected.length);

    // Narrowed to Envoy failures: a response flag other than "-" on some hop (an annotation on both paths:
    // the OTLP spans list their ANNOTATION_TAGS attributes in `aws.xray.annotations`).
    await applyFilters(page, { status: 'fault', q: 'annotation.response_flags != "-"' });
    assert.equal(await page.textContent('[data-testid="filter-expression"]'), 'fault AND annotation.response_flags != "-"');
    const envoyFaults = ledger.filter((e) => e.injected?.kind === 'fault');
    const listedEnvoy = await allListedIds(page);
    assert.equal(listedEnvoy.length, summary.injectedFaults);
    assert.deepEqual(keysOf(listedEnvoy), ledgerKeys(envoyFaults));
    await shot(page, 'sim-list-faults', protocol);
  });

  test('clicking a trace opens its timeline; clicking a segment shows its http block, kind repair and the Zipkin span', { timeout: 30_000 }, async () => {
    // A reviews v2/v3 request whose ratings answered 503 (reviews still answers 200, degraded).
    const wanted = ledger.find((e) => e.injected?.kind === 'error' && e.injected.service === 'ratings');
    assert.ok(wanted, 'the seed injects a ratings error');
    const xrayId = xrayIdOf.get(wanted.key);
    assert.ok(xrayId, 'the trace was listed');
    await page.goto(`${baseUrl}/#/traces?range=1h`);
    await ready(page, 'traces');
    await applyFilters(page, { service: 'ratings.default', status: 'fault' });
    await page.click(`.trace-row[data-trace-id="${xrayId}"] td:nth-child(3)`);
    await ready(page, 'trace');
    assert.equal(await page.textContent('[data-testid="trace-id"]'), xrayId);
    const rows = await page.$$eval('.tl-rows .tl-row', (els) => els.map((e) => ({
      name: e.getAttribute('data-name'), kind: e.getAttribute('data-kind'), indent: (e.querySelector('.tl-name') as HTMLElement).style.paddingLeft,
      status: e.querySelector('.tl-status')?.textContent ?? '',
    })));
    // Istio 1.7: the gateway's one CLIENT span is its segment plus the remote call; every inbound CLIENT span
    // was repaired to a SERVER segment, nested under the caller's CLIENT subsegment by parent_id.
    assert.deepEqual(rows.map((r) => `${r.indent} ${r.kind} ${r.name} ${r.status}`), [
      '8px segment istio-ingressgateway 200',
      '24px subsegment productpage.default 200',
      '40px segment productpage.default 200',
      '56px subsegment details.default 200',
      '72px segment details.default 200',
      '56px subsegment reviews.default 200',
      '72px segment reviews.default 200',
      '88px subsegment ratings.default 503',
      '104px segment ratings.default 503',
    ]);
    assert.equal(await page.locator('.tl-rows .bar.fault').count(), 2);
    await shot(page, 'sim-timeline', protocol);

    await page.click('.tl-row[data-kind="segment"][data-name="ratings.default"]');
    await page.waitForSelector('[data-testid="segment-details"]');
    const body = async (tab: string): Promise<string> => {
      await page.click(`.tabs button[data-tab="${tab}"]`);
      return await page.textContent('[data-testid="segment-tab-body"]') ?? '';
    };
    assert.match(await body('Overview'), /Outcome\s*fault/);
    const http = await body('HTTP');
    assert.match(http, /URL\s*http:\/\/ratings:9080\/ratings\/0/);
    assert.match(http, /Status\s*503/);
    assert.match(http, /Client IP\s*10\.0\.(3\.11|2\.9)(?!\d)/, 'the caller (reviews v2 or v3) pod IP');
    await shot(page, 'sim-segment-http', protocol);
    // The request id: an annotation on both paths (on the OTLP path the Envoy-named attribute listed in
    // aws.xray.annotations; a newcomer trial found it missing there), and there also the semantic-conventions header attribute (metadata).
    assert.match(await body('Annotations'), new RegExp(`guid_x_request_id\\s*${wanted.requestId}`));
    if (protocol === 'segments') {
      assert.match(await body('Metadata'), /kindRepaired\s*\{"from":"CLIENT","to":"SERVER"\}/);
      const zipkin = await body('Zipkin span');
      assert.match(zipkin, new RegExp(`Trace ID\\s*${wanted.zipkinTraceId}`));
      assert.match(zipkin, /Kind\s*CLIENT/, 'the span as Istio 1.7 sent it');
      assert.match(zipkin, /"serviceName": "ratings.default"/);
    } else {
      // X-Ray keeps an OTLP span's attributes as metadata (otel): the repair and the request id are there.
      const metadata = await body('Metadata');
      assert.match(metadata, /meshray\.kind_repaired_from[^A-Z]*CLIENT/);
      assert.ok(metadata.includes(wanted.requestId), 'the x-request-id is in the span\'s attributes');
    }
    await shot(page, 'sim-segment', protocol);

    // A request whose hop failed in Envoy: the timeline ends at the caller's faulted subsegment (no callee segment).
    const faulted = ledger.find((e) => e.injected?.kind === 'fault' && e.injected.service === 'reviews')
      ?? ledger.find((e) => e.injected?.kind === 'fault');
    assert.ok(faulted?.injected?.kind === 'fault');
    await page.goto(`${baseUrl}/#/trace/${xrayIdOf.get(faulted.key)}?range=1h`);
    await ready(page, 'trace');
    const faultRows = await page.$$eval('.tl-rows .tl-row', (els) => els.map((e) => `${e.getAttribute('data-kind')} ${e.getAttribute('data-name')}`));
    const hop = `${faulted.injected.service}.default`;
    assert.ok(faultRows.includes(`subsegment ${hop}`) && !faultRows.includes(`segment ${hop}`), faultRows.join(', '));
    await page.click(`.tl-row[data-kind="subsegment"][data-name="${hop}"]`);
    await page.waitForSelector('[data-testid="segment-details"]');
    assert.match(await body('Overview'), new RegExp(`${faulted.injected.flag}: `));
    assert.match(await body('HTTP'), new RegExp(`Status\\s*${faulted.injected.status}`));
  });
});
