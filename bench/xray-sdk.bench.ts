/**
 * Client CPU per document of one PutTraceSegments call of 50 documents through @aws-sdk/client-xray
 * (endpoint, user agent, SigV4 signing, retry middleware, response parsing), the network left out: the
 * request handler answers at once. A/B (issue 9, "the SDK path"):
 * - the SDK's own serializer, against the documents body written by `useDocumentsBody`;
 * - documents fresh from the translator (strings built piece by piece), against the same documents once flat.
 * The translation itself is not counted (documents are made before the timed loop).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { decodeSpans } from '../shared/core/zipkin/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../shared/core/xray/index.ts';
import { useDocumentsBody } from '../services/translator/export/documents-body.ts';
import type { BenchFigure } from './translate.bench.ts';

const CALL = 50;

function client(light: boolean): XRayClient {
  const c = new XRayClient({
    region: 'us-east-1', endpoint: 'http://127.0.0.1:2000', maxAttempts: 1,
    credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' },
    requestHandler: {
      handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from('{"UnprocessedTraceSegments":[]}')]) } }),
    },
  });
  if (light) useDocumentsBody(c);
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

/** Flattens a string built by concatenation (V8 copies the pieces into one sequential string). */
const flat = (s: string): string => { void s.charCodeAt(s.length >> 1); return s; };

async function cpuPerDocument(light: boolean, flatten: boolean, calls: number): Promise<number> {
  const c = client(light);
  for (const docs of freshDocuments(200)) await c.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs })); // warm up
  const sets = freshDocuments(calls);
  const t0 = process.cpuUsage();
  for (const docs of sets) await c.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: flatten ? docs.map(flat) : docs }));
  const { user, system } = process.cpuUsage(t0);
  c.destroy();
  return Math.round(((user + system) / (calls * CALL)) * 10) / 10;
}

export async function runXRaySdkBench(calls = 2000): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const [light, flatten] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    figures.push({
      name: `PutTraceSegments client CPU per document, ${light ? 'documents body (useDocumentsBody)' : 'SDK serializer'}, ${flatten ? 'flattened first (flattening counted)' : 'fresh documents'}`,
      value: await cpuPerDocument(light, flatten, calls),
      unit: 'µs/document',
    });
  }
  return figures;
}
