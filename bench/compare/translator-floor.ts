/**
 * The translator's floor beside the drain (bench/support/translator-floor.ts): the same topic drained again from
 * its start by a process that uses the translator's packages (kafkajs, the record codec, @aws-sdk/client-xray)
 * and does none of its translation. Its CPU per span is what a translator built on these packages cannot go
 * below on this machine, with one minimal document per span (the translator packs about 1.6 spans per document),
 * or, with `translated`, with the documents meshray's pure core makes of the same batches (§36).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeOptionsFor } from '../../services/cli/node-options.ts';
import { round } from '../support/processes.ts';

const FLOOR = fileURLToPath(new URL('../support/translator-floor.ts', import.meta.url));

/** `minimal`: one minimal document per span; `translated`: meshray's pure core's packed documents (translator-floor.ts). */
export type FloorDocuments = 'minimal' | 'translated';

export interface TranslatorFloor {
  readonly documents: FloorDocuments;
  readonly spans: number;
  readonly spansPerDocument: number;
  readonly usPerSpan: number;
  readonly mainThreadUsPerSpan: number;
  readonly documentsPerCall: number;
}

/**
 * Drains `topic` from its start into `xrayEndpoint`, measuring after the first `skipSpans` spans, with the
 * translator's default NODE_OPTIONS. Rejects when the floor process fails or prints no figures within `timeoutMs`.
 */
export async function runTranslatorFloor(brokers: string, topic: string, xrayEndpoint: string, skipSpans: number, documents: FloorDocuments = 'minimal', timeoutMs = 300_000): Promise<TranslatorFloor> {
  const env = { ...process.env };
  const nodeOptions = nodeOptionsFor('translator', env);
  const child = spawn(process.execPath, ['--import', 'tsx', FLOOR, brokers, topic, xrayEndpoint, String(skipSpans), documents], {
    env: nodeOptions === undefined ? env : { ...env, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
  child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-4000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`translator floor exited ${code ?? 'by a signal'}:\n${stderr}${stdout}`);
  const r = JSON.parse(line) as { spans: number; documents: number; calls: number; cpuUs: number; mainThreadUs: number };
  const spans = Math.max(1, r.spans);
  return {
    documents, spans: r.spans, spansPerDocument: round(r.spans / Math.max(1, r.documents), 2),
    usPerSpan: round(r.cpuUs / spans, 1), mainThreadUsPerSpan: round(r.mainThreadUs / spans, 1), documentsPerCall: round(r.documents / Math.max(1, r.calls), 1),
  };
}
