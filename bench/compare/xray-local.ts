/**
 * xray-local on its own against the Node.js floor (`BENCH=xray-local`, or the `xray-local` section of
 * BENCH=compare): the same PutTraceSegments calls from a load process pinned to the load core
 * (bench/support/put-trace-segments-load.mjs), first into `meshray xray-local` and then into the floor
 * (node-floor.ts in `xray` mode: node's http server parsing each body and each document and keeping the
 * strings), each pinned to the server core, BENCH_XRAY_LOCAL_ROUNDS times interleaved (default 2). Prints µs of
 * CPU per document stored for each, and their ratio.
 *
 * The documents are the translator's: the compare bench's Envoy bodies decoded and translated with the
 * translator's defaults (PACKING=on: a document per service hop, its CLIENT spans nested), what a drain sends.
 * Issue 9 goal 3 asks for ≤ 15 µs per document; the floor says what Node.js itself costs for these documents.
 *
 * Knobs: BENCH_XRAY_LOCAL_SECONDS (15, measured), BENCH_XRAY_LOCAL_WARMUP_SECONDS (8), BENCH_XRAY_LOCAL_CONNECTIONS (4),
 * BENCH_SERVER_CORE (0), BENCH_LOAD_CORE (1), BENCH_SERVICE_ENV (extra env for xray-local).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseConfig, translationEnv } from '../../shared/edge/config/index.ts';
import { decodeSpanBatch } from '../../shared/core/zipkin/index.ts';
import { MemoryEpochStore, packDocuments, translateSpans } from '../../shared/core/xray/index.ts';
import { translatorConfigOf } from '../../services/translator/index.ts';
import type { BenchFigure } from '../translate.bench.ts';
import { cpuSplitOf, readLoad, round, stopChild } from '../support/processes.ts';
import { serviceEnvOf } from '../support/service-env.ts';
import { envoyBodies } from './bodies.ts';
import type { CompareTarget } from './measure.ts';
import { startMeshray } from './meshray.ts';
import { startNodeFloor } from './node-floor.ts';

const SCRATCH = fileURLToPath(new URL('../.scratch/xray-local/', import.meta.url));
const LOAD = fileURLToPath(new URL('../support/put-trace-segments-load.mjs', import.meta.url));
const env = process.env;
const num = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);
const log = (message: string): void => { process.stderr.write(`[xray-local] ${message}\n`); };

/** The translator's documents for 2,000 Envoy bodies (10,000 spans), one per line, and their mean size. */
function writeDocuments(path: string, nowMs: number): { documents: number; meanBytes: number; spansPerDocument: number } {
  const spans = envoyBodies(2000, nowMs).flatMap((body) => {
    const batch = decodeSpanBatch(Buffer.from(body), 'json-v2');
    if (!batch.ok) throw new Error('bench bodies must decode');
    return batch.value.spans;
  });
  const flags = parseConfig(z.object({ ...translationEnv }), {});
  if (!flags.ok) throw new Error('translation defaults must parse');
  const config = translatorConfigOf(flags.value);
  const epochs = new MemoryEpochStore({ ttlMs: config.epochTtlMs, maxEntries: config.epochCacheMaxEntries });
  const translated = translateSpans(spans, { config, nowMs, epochs });
  const documents = packDocuments(translated.documents, config.maxDocumentBytes).documents.map((d) => d.json);
  writeFileSync(path, `${documents.join('\n')}\n`);
  const bytes = documents.reduce((sum, d) => sum + Buffer.byteLength(d), 0);
  return { documents: documents.length, meanBytes: bytes / documents.length, spansPerDocument: spans.length / documents.length };
}

interface LoadResult { readonly calls: number; readonly failed: number; readonly documents: number; readonly firstFailure: string }

function runLoad(url: string, file: string, seconds: number, connections: number, core: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, LOAD, url, file, String(seconds), String(connections)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`PutTraceSegments load exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as LoadResult);
    });
  });
}

interface Point { readonly label: string; readonly usPerDocument: number; readonly documentsPerS: number; readonly failed: number }

async function measureTarget(target: CompareTarget, file: string, core: number): Promise<Point> {
  const connections = num('BENCH_XRAY_LOCAL_CONNECTIONS', 4);
  const seconds = num('BENCH_XRAY_LOCAL_SECONDS', 15);
  await runLoad(target.url, file, num('BENCH_XRAY_LOCAL_WARMUP_SECONDS', 8), connections, core);
  const pid = Object.values(target.pids)[0];
  const before = cpuSplitOf(pid);
  const load = await runLoad(target.url, file, seconds, connections, core);
  const after = cpuSplitOf(pid);
  if (load.failed > 0) log(`${target.label}: ${load.failed} calls not fully accepted, first: ${load.firstFailure}`);
  const cpuS = after.user + after.system - before.user - before.system;
  return { label: target.label, usPerDocument: (cpuS * 1e6) / Math.max(1, load.documents), documentsPerS: load.documents / seconds, failed: load.failed };
}

export async function runXrayLocalBench(): Promise<BenchFigure[]> {
  const serverCore = num('BENCH_SERVER_CORE', 0);
  const loadCore = num('BENCH_LOAD_CORE', 1);
  const rounds = num('BENCH_XRAY_LOCAL_ROUNDS', 2);
  mkdirSync(SCRATCH, { recursive: true });
  const file = join(SCRATCH, `documents-${process.pid}.ndjson`);
  const made = writeDocuments(file, Date.now());
  const figures: BenchFigure[] = [
    { name: 'xray-local alone: the translator\'s documents (PACKING=on) of 10,000 Envoy spans, mean size', value: round(made.meanBytes), unit: `bytes (${made.documents} documents, ${round(made.spansPerDocument, 2)} spans each, 48 per call)` },
  ];
  const xrayLocal: Point[] = [];
  const floor: Point[] = [];
  log(`server core ${serverCore}, load core ${loadCore}; load ${readLoad()}`);
  for (let r = 1; r <= rounds; r++) {
    const service = await startMeshray('xray-local', 'xray-local', serverCore, (port) => ({ XRAY_LOCAL_PORT: String(port), ...serviceEnvOf(env['BENCH_SERVICE_ENV']) }));
    try {
      xrayLocal.push(await measureTarget(service, file, loadCore));
    } finally {
      await stopChild(service.child);
    }
    const bare = await startNodeFloor('xray', serverCore);
    try {
      floor.push(await measureTarget(bare, file, loadCore));
    } finally {
      await stopChild(bare.child);
    }
    log(`round ${r} of ${rounds} done; load ${readLoad()}`);
  }
  for (const [i, x] of xrayLocal.entries()) {
    const f = floor[i];
    figures.push({ name: `xray-local alone, round ${i + 1}: CPU per document stored`, value: round(x.usPerDocument, 1), unit: `µs/document (${round(x.documentsPerS)} documents/s)`, target: '<= 15' });
    if (f === undefined) continue;
    figures.push({ name: `node floor (http + JSON.parse of body and documents, strings kept), round ${i + 1}: CPU per document`, value: round(f.usPerDocument, 1), unit: `µs/document (${round(f.documentsPerS)} documents/s)` });
    figures.push({ name: `round ${i + 1}: xray-local's CPU per document ÷ the floor's`, value: round(x.usPerDocument / f.usPerDocument, 2), unit: '×' });
  }
  figures.push({ name: 'load average (1 min) at the end: other work on this machine skews every figure', value: Number(readLoad().split(' ')[0]), unit: '' });
  return figures;
}
