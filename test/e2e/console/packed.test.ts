/**
 * PACKING=on draws what PACKING=off draws: the same Bookinfo traffic (the console's generated traces: ok,
 * reviews v1, faults, errors, throttles) stored unpacked in one xray-local and packed in another (the
 * translator's `packDocuments`, whole traces, as the assembly window hands them over), then read by the
 * console in real headless Chromium: the service map (nodes with their text, edges with their labels) and
 * every trace's timeline (rows: indent, kind, name, bar classes) must be the same on both.
 * Skipped (with the reason) only when Chromium is absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startXRayLocal, storedEntityCount, type XRayLocal } from '../../support/xray-local.ts';
import { packJsonDocuments } from '../../support/pack-documents.ts';
import { type GeneratedTrace, bookinfoTrace } from './bookinfo-traces.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the console browser tests`;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function load(xray: XRayLocal, documents: readonly string[]): Promise<void> {
  for (let i = 0; i < documents.length; i += 50) {
    const answer = await xray.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents.slice(i, i + 50) }));
    assert.deepEqual(answer.UnprocessedTraceSegments ?? [], []);
  }
}

interface Drawn { readonly nodes: string[]; readonly edges: string[] }

async function mapOf(page: Page, xray: XRayLocal): Promise<Drawn> {
  await page.goto(`${xray.endpoint}/#/map?range=1h`);
  await page.waitForSelector('body[data-ready="map"]', { timeout: 15_000 });
  const nodes = await page.$$eval('.service-map .node', (els) => els.map((n) => `${n.getAttribute('data-service')} [${n.getAttribute('class')}] ${n.textContent}`));
  const edges = await page.$$eval('.service-map .edge', (els) => els.map((e) =>
    `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')} ${e.querySelector('.edge-label')?.textContent ?? ''}`));
  return { nodes: nodes.sort(), edges: edges.sort() };
}

async function timelineOf(page: Page, xray: XRayLocal, traceId: string): Promise<string[]> {
  await page.goto(`${xray.endpoint}/#/trace/${traceId}?range=1h`);
  await page.waitForSelector('body[data-ready="trace"]', { timeout: 15_000 });
  return page.$$eval('.tl-rows .tl-row', (els) => els.map((e) => {
    const name = e.querySelector('.tl-name') as HTMLElement;
    const bar = e.querySelector('.bar');
    return `${name.style.paddingLeft} ${e.getAttribute('data-kind')} ${e.getAttribute('data-name')} [${bar?.getAttribute('class') ?? ''}] ${bar?.getAttribute('style') ?? ''}`;
  }));
}

describe('packed and unpacked documents of the same traffic in the console', { skip: SKIP }, () => {
  let unpacked: XRayLocal;
  let packed: XRayLocal;
  let browser: Browser;
  let page: Page;
  const traces: GeneratedTrace[] = [];
  let packedDocuments = 0;

  before(async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 20; i += 1) traces.push(bookinfoTrace(i, nowSec - 30 - i * 30));
    unpacked = await startXRayLocal();
    packed = await startXRayLocal();
    await load(unpacked, traces.flatMap((t) => t.documents));
    const packedLines = traces.flatMap((t) => packJsonDocuments(t.documents));
    packedDocuments = packedLines.length;
    await load(packed, packedLines);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  });

  after(async () => {
    await browser?.close();
    await packed?.close();
    await unpacked?.close();
  });

  test('the packed store holds fewer documents but the same segments and subsegments', () => {
    const spans = traces.reduce((n, t) => n + t.documents.length, 0);
    assert.equal(unpacked.store.segmentCount, spans);
    assert.equal(packed.store.segmentCount, packedDocuments);
    assert.ok(packedDocuments < spans, `${packedDocuments} packed documents for ${spans} unpacked`);
    assert.equal(storedEntityCount(packed.store), spans);
  });

  test('the service map is the same', async () => {
    const a = await mapOf(page, unpacked);
    const b = await mapOf(page, packed);
    assert.ok(a.nodes.length >= 5 && a.edges.length >= 4, `the map draws Bookinfo: ${JSON.stringify(a)}`);
    assert.deepEqual(b, a);
  });

  test('every trace\'s timeline is the same', async () => {
    for (const t of traces) {
      const a = await timelineOf(page, unpacked, t.traceId);
      assert.ok(a.length >= 7, `${t.traceId} (${t.variant}): ${a.length} rows`);
      assert.deepEqual(await timelineOf(page, packed, t.traceId), a, `${t.traceId} (${t.variant})`);
    }
  });
});
