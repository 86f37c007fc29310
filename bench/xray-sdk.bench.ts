/**
 * Client CPU per document of one PutTraceSegments call of 50 documents through @aws-sdk/client-xray
 * (endpoint, user agent, SigV4 signing, retry middleware, response parsing), the network left out: the
 * request handler answers at once. A/B (issue 9, "the SDK path"): documents built piece by piece (V8 cons
 * strings), against the same documents flattened first (shared/core/xray `flatJson`, flattening counted).
 * The translation itself is not counted (documents are made before the timed loop). A third variant was
 * measured and dropped: writing the body with one `JSON.stringify` of the list in a build-step middleware
 * (the SDK signing and sending it) cost 27.5 µs/document fresh and 26.1 flat, against 23.1 for the SDK's own
 * codec on flat documents (docs/sizing.md).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { decodeSpans } from '../shared/core/zipkin/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../shared/core/xray/index.ts';
import { flatJson } from '../shared/core/xray/json.ts';
import type { BenchFigure } from './translate.bench.ts';

const CALL = 50;

function client(cacheMiddleware: boolean): XRayClient {
  const c = new XRayClient({
    cacheMiddleware,
    region: 'us-east-1', endpoint: 'http://127.0.0.1:2000', maxAttempts: 1,
    credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' },
    requestHandler: {
      handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from('{"UnprocessedTraceSegments":[]}')]) } }),
    },
  });
  return c;
}

/** `calls` sets of 50 freshly translated documents (Bookinfo fixture, Istio 1.7.4). */
function freshDocuments(calls: number): string[][] {
  const body = readFileSync(new URL('../test/fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));
  const nowMs = Date.parse('2019-06-21T18:30:00Z');
  const epochs = new MemoryEpochStore();
  const out: string[][] = [];
  let call: string[] = [];
  while (out.length < calls) {
    const decoded = decodeSpans(body, 'json-v2');
    if (!decoded.ok) throw new Error('fixture does not decode');
    for (const d of translateSpans(decoded.value, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs, epochs }).documents) {
      call.push(d.json);
      if (call.length === CALL) { out.push(call); call = []; }
    }
  }
  return out;
}

/** The document as the translator wrote it before flatJson: one member at a time (a tree of cons strings). */
const pieceByPiece = (json: string): string => json.split(',').reduce((a, b) => `${a},${b}`);

async function cpuPerDocument(flatten: boolean, calls: number, cacheMiddleware = false): Promise<number> {
  const c = client(cacheMiddleware);
  for (const docs of freshDocuments(200).map((d) => d.map(pieceByPiece))) await c.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs })); // warm up
  const sets = freshDocuments(calls).map((docs) => docs.map(pieceByPiece));
  const t0 = process.cpuUsage();
  for (const docs of sets) await c.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: flatten ? docs.map(flatJson) : docs }));
  const { user, system } = process.cpuUsage(t0);
  c.destroy();
  return Math.round(((user + system) / (calls * CALL)) * 10) / 10;
}

export async function runXRaySdkBench(calls = 2000): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const flatten of [false, true]) {
    figures.push({
      name: `PutTraceSegments client CPU per document (SDK, calls of 50), ${flatten ? 'documents flattened first (flattening counted)' : 'documents built piece by piece'}`,
      value: await cpuPerDocument(flatten, calls),
      unit: 'µs/document',
    });
  }
  // The translator's client (services/translator/export/xray-client.ts): the SDK's cacheMiddleware option,
  // the middleware stack resolved once per command class instead of on every send. A/B: plain, cached, twice.
  for (const cacheMiddleware of [false, true, false, true]) {
    figures.push({
      name: `PutTraceSegments client CPU per document (SDK, calls of 50, flat documents), cacheMiddleware ${cacheMiddleware ? 'on (the translator\'s client)' : 'off'}`,
      value: await cpuPerDocument(true, calls, cacheMiddleware),
      unit: 'µs/document',
    });
  }
  return figures;
}
