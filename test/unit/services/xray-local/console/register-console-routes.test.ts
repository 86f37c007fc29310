import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { SegmentStore } from '../../../../../services/xray-local/store/segment-store.ts';
import { registerConsoleRoutes } from '../../../../../services/xray-local/console/register-console-routes.ts';
import { loadConsoleAssets } from '../../../../../services/xray-local/console/load-console-assets.ts';
import { segmentDoc } from '../segment-docs.ts';

const storeWith = (...names: string[]): SegmentStore => {
  const store = new SegmentStore({ maxSegments: 100 });
  names.forEach((name, i) => {
    const doc = segmentDoc({ name, id: `00000000000000a${i}`, trace_id: `1-65000000-00000000000000000000000${i}` });
    store.put(doc as never, JSON.stringify(doc), 0);
  });
  return store;
};

test('GET / is the console shell with its assets, and lists the newest traces for no-JavaScript clients', async () => {
  const app = Fastify();
  registerConsoleRoutes(app, { store: storeWith('productpage', '<b>&'), logger: silentLogger(), loadAssets: async () => ({ js: '', css: '', origin: 'source' }) });
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.match(page.body, /<script type="module" src="\/console\/app.js"><\/script>/);
  assert.match(page.body, /<link rel="stylesheet" href="\/console\/app.css">/);
  assert.ok(page.body.includes('1-65000000-000000000000000000000001'));
  assert.ok(page.body.includes('&lt;b&gt;&amp;'), 'names are escaped');
  assert.ok(!/https?:\/\//.test(page.body), 'nothing is loaded from another origin');
  await app.close();
});

test('assets are loaded once; a failed load answers 500 and is retried on the next request', async () => {
  let calls = 0;
  const app = Fastify({ logger: false });
  registerConsoleRoutes(app, {
    store: storeWith(),
    logger: silentLogger(),
    loadAssets: async () => {
      calls += 1;
      if (calls === 1) throw new Error('esbuild exploded');
      return { js: 'console.log(1)', css: 'body{}', origin: 'prebuilt' };
    },
  });
  assert.equal((await app.inject({ url: '/console/app.js' })).statusCode, 500);
  const js = await app.inject({ url: '/console/app.js' });
  assert.equal(js.statusCode, 200);
  assert.match(js.headers['content-type'] as string, /text\/javascript/);
  assert.equal(js.body, 'console.log(1)');
  const css = await app.inject({ url: '/console/app.css' });
  assert.match(css.headers['content-type'] as string, /text\/css/);
  assert.equal(css.body, 'body{}');
  assert.equal(calls, 2);
  await app.close();
});

test('from a source checkout the console is bundled in memory: one ES module with dagre, and its stylesheet', async () => {
  const assets = await loadConsoleAssets();
  assert.equal(assets.origin, 'source');
  assert.ok(assets.js.length > 10_000);
  assert.ok(!/\bimport\s*[{(*"']|\brequire\(/.test(assets.js.replace(/\/\*[\s\S]*?\*\//g, '')), 'self-contained: no imports left');
  assert.match(assets.js, /dagre|ranksep/);
  assert.match(assets.css, /\.service-map/);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(assets.js.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*license[^\n]*/gi, '')), 'no remote URLs');
});

test('GET /console/zipkin-trace/:id answers the X-Ray ids stored for a Zipkin trace id, whose epoch digits the translator may have rewritten', async () => {
  const store = new SegmentStore({ maxSegments: 100 });
  const put = (traceId: string, id: string): void => {
    const doc = segmentDoc({ name: 'productpage', id, trace_id: traceId });
    store.put(doc as never, JSON.stringify(doc), 0);
  };
  put('1-6b11381d-1b7d3caf3118745c3124bc3b', '00000000000000a1'); // Zipkin 303e5d061b7d3caf3118745c3124bc3b, epoch rewritten
  put('1-6b11381e-00000000463ac35c9f6413ad', '00000000000000a2'); // a 64-bit Zipkin id, zero-padded
  put('1-6b11381f-000000000000000000000009', '00000000000000a3');
  put('1-6b113820-b62e8f6a216a2aea45d08fc9', '00000000000000a4'); // first seen as 7180c278b62e8f6a216a2aea45d08fc9, also sent as 216a2aea45d08fc9
  const app = Fastify();
  registerConsoleRoutes(app, { store, logger: silentLogger(), loadAssets: async () => ({ js: '', css: '', origin: 'source' }) });
  const ask = async (id: string) => app.inject({ method: 'GET', url: `/console/zipkin-trace/${id}` });
  assert.deepEqual((await ask('303e5d061b7d3caf3118745c3124bc3b')).json(), { traceIds: ['1-6b11381d-1b7d3caf3118745c3124bc3b'] });
  assert.deepEqual((await ask('303E5D061B7D3CAF3118745C3124BC3B')).json(), { traceIds: ['1-6b11381d-1b7d3caf3118745c3124bc3b'] }, 'upper-case hex as Zipkin ids are printed sometimes');
  assert.deepEqual((await ask('463ac35c9f6413ad')).json(), { traceIds: ['1-6b11381e-00000000463ac35c9f6413ad'] });
  assert.deepEqual((await ask('ffffffffffffffffffffffffffffffff')).json(), { traceIds: [] });
  // One trace whose spans carry both widths of its id: found by either (keyed by the low 64 bits)
  assert.deepEqual((await ask('216a2aea45d08fc9')).json(), { traceIds: ['1-6b113820-b62e8f6a216a2aea45d08fc9'] });
  assert.deepEqual((await ask('7180c278b62e8f6a216a2aea45d08fc9')).json(), { traceIds: ['1-6b113820-b62e8f6a216a2aea45d08fc9'] });
  const bad = await ask('1-6b11381d-1b7d3caf3118745c3124bc3b');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json<{ message: string }>().message, /is not a Zipkin trace id \(16 or 32 hex digits\)/);
  await app.close();
});
