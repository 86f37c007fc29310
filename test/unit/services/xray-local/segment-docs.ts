/** Test harness: xray-local in-process on an ephemeral port, and the real AWS SDK client pointed at it. */
import type { AddressInfo } from 'node:net';
import { XRayClient } from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../../shared/log/index.ts';
import { createRegistry, type Registry } from '../../../../shared/metrics/registry.ts';
import { buildApp, type XRayLocalDeps } from '../../../../services/xray-local/index.ts';

export interface Harness {
  readonly app: FastifyInstance;
  readonly client: XRayClient;
  readonly registry: Registry;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startXRayLocal(overrides: Partial<XRayLocalDeps> = {}): Promise<Harness> {
  const registry = createRegistry();
  const app = buildApp({ logger: silentLogger(), registry, maxSegments: 10_000, ...overrides });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = new XRayClient({
    endpoint: baseUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  return {
    app,
    client,
    registry,
    baseUrl,
    async close() {
      client.destroy();
      await app.close();
    },
  };
}

/** 2023-09-12T06:06:56Z: the epoch of every test trace id unless given. */
export const EPOCH_SEC = 0x65000000;

export const traceId = (n: number, epochSec: number = EPOCH_SEC): string =>
  `1-${epochSec.toString(16).padStart(8, '0')}-${n.toString(16).padStart(24, '0')}`;

export const hexId = (n: number): string => n.toString(16).padStart(16, '0');

/** A valid segment document object; override any field (set a field to undefined to drop it). */
export function segmentDoc(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    name: 'productpage',
    id: hexId(1),
    trace_id: traceId(1),
    start_time: EPOCH_SEC + 1,
    end_time: EPOCH_SEC + 1.25,
    ...fields,
  };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return doc;
}

export const segmentJson = (fields: Record<string, unknown> = {}): string => JSON.stringify(segmentDoc(fields));

/** The value of one counter sample from the registry (0 when absent). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return sample?.value ?? 0;
}
