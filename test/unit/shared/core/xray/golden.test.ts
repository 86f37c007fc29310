/**
 * Golden tests: real (and one synthesized) Zipkin payloads from test/fixtures/zipkin/, decoded by
 * shared/core/zipkin and translated with a fixed clock and a fresh MemoryEpochStore. Every document must pass
 * the validator; the Bookinfo and kourier outputs must match their reviewed golden files byte for byte.
 * Regenerate with `UPDATE_GOLDEN=1 node --import tsx --test test/unit/shared/core/xray/golden.test.ts`, then
 * review the diff by hand (see test/fixtures/golden/README.md).
 *
 * Clock choice: `nowMs` is set a few minutes after each payload's spans, as a live translator would see
 * them, so the `auto` epoch policy behaves as in production: the random first 8 hex digits of the Bookinfo
 * trace id (0xeacd2e2b, a second in 2094) and the zero high bits of kourier's 64-bit ids are not epoch
 * seconds in [now - 28 d, now + 5 min] and are rewritten to the first span's start second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSpans, detectFormat } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';
import { translateSpans } from '../../../../../shared/core/xray/translate.ts';
import type { TranslateOutput } from '../../../../../shared/core/xray/translate.ts';
import { DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/config.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { assertValidJson } from './support.ts';

const fixtures = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
const zipkinDir = `${fixtures}zipkin/`;
const goldenDir = `${fixtures}golden/`;
const update = process.env['UPDATE_GOLDEN'] === '1';

/** 2019-06-21T18:30:00Z: five minutes after the Bookinfo trace (2019-06-21T18:25:08Z). */
const BOOKINFO_NOW_MS = Date.UTC(2019, 5, 21, 18, 30, 0);
/** 2023-07-13T09:55:00Z: minutes after the three kourier bodies (09:49:45–09:49:47Z). */
const KOURIER_NOW_MS = Date.UTC(2023, 6, 13, 9, 55, 0);

function decode(body: string): Span[] {
  const bytes = new TextEncoder().encode(body);
  const format = detectFormat(bytes, 'application/json');
  assert.ok(format !== undefined, 'format detected');
  const result = decodeSpans(bytes, format);
  assert.ok(result.ok, result.ok ? '' : formatIssues(result.issues));
  return result.value;
}

/** Translates consecutive bodies (batches) with one epoch store, as one translator process would. */
function translateBodies(bodies: readonly string[], nowMs: number): TranslateOutput[] {
  const epochs = new MemoryEpochStore({ ttlMs: DEFAULT_TRANSLATOR_CONFIG.epochTtlMs, maxEntries: DEFAULT_TRANSLATOR_CONFIG.epochCacheMaxEntries });
  return bodies.map((body) => {
    const output = translateSpans(decode(body), { config: DEFAULT_TRANSLATOR_CONFIG, nowMs, epochs });
    for (const doc of output.documents) assertValidJson(doc.json);
    return output;
  });
}

function compareGolden(file: string, outputs: readonly TranslateOutput[]): void {
  const ndjson = outputs.flatMap((o) => o.documents.map((d) => `${d.json}\n`)).join('');
  const path = `${goldenDir}${file}`;
  if (update) writeFileSync(path, ndjson);
  assert.equal(ndjson, readFileSync(path, 'utf8'), `${file} differs; if intended, regenerate with UPDATE_GOLDEN=1 and review`);
}

/** Latest span start in a batch, as epoch ms (for fixtures without a golden file). */
function latestMs(spans: readonly Span[]): number {
  return Math.max(0, ...spans.map((s) => (s.timestampMicros ?? 0) / 1000));
}

test('Istio 1.7.4 Bookinfo (synthesized) → golden documents', () => {
  const body = readFileSync(`${zipkinDir}SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json`, 'utf8');
  const outputs = translateBodies([body], BOOKINFO_NOW_MS);
  const [output] = outputs as [TranslateOutput];
  assert.deepEqual(output.rejected, []);
  assert.deepEqual(output.stats, { epochRewrites: 1, metadataTrimmed: 0, kindRepaired: 0 });
  assert.equal(output.documents.length, 9, '8 spans; the gateway root CLIENT span gives two documents');
  assert.deepEqual(new Set(output.documents.map((d) => d.traceId)), new Set(['1-5d0d2104-8a2daf31f6604fffcf8ffe2a']));
  compareGolden('bookinfo-istio-1.7.4.xray.ndjson', outputs);
});

test('kourier (Envoy 1.24, 64-bit ids) → golden documents', () => {
  const bodies = (JSON.parse(readFileSync(`${zipkinDir}kourier-envoy-1.24-v2-posts.json`, 'utf8')) as unknown[]).map((b) => JSON.stringify(b));
  const outputs = translateBodies(bodies, KOURIER_NOW_MS);
  assert.deepEqual(outputs.flatMap((o) => o.rejected), []);
  assert.equal(outputs.reduce((n, o) => n + o.stats.epochRewrites, 0), 3);
  compareGolden('kourier-envoy-1.24.xray.ndjson', outputs);
});

test('every other Zipkin JSON payload in the fixtures translates to valid documents', () => {
  const names = readdirSync(zipkinDir).filter((n) => n.endsWith('.json') && !n.startsWith('SYNTHESIZED-') && !n.startsWith('kourier-'));
  assert.ok(names.length >= 4);
  for (const name of names) {
    const parsed = JSON.parse(readFileSync(`${zipkinDir}${name}`, 'utf8')) as unknown;
    // A body is a list of spans; single-span fixtures are wrapped; the encoder-test file maps names to spans.
    const bodies = Array.isArray(parsed)
      ? [JSON.stringify(parsed)]
      : 'traceId' in (parsed as object)
        ? [JSON.stringify([parsed])]
        : Object.values(parsed as Record<string, unknown>).map((span) => JSON.stringify([span]));
    for (const body of bodies) {
      const spans = decode(body);
      const epochs = new MemoryEpochStore();
      const output = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: latestMs(spans) + 300_000, epochs });
      for (const doc of output.documents) assertValidJson(doc.json);
      assert.equal(output.documents.length + output.rejected.length >= spans.length, true, name);
    }
  }
});
