/**
 * TransactionSearchCheck against xray-local's GetTraceSegmentDestination through the real SDK: destination
 * `XRay` (Transaction Search off) is said in one warn line and in readiness; enabling it heals readiness at
 * the next read without a restart; an unreachable endpoint is logged and leaves readiness alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { UpdateTraceSegmentDestinationCommand, XRayClient } from '@aws-sdk/client-xray';
import type { FastifyInstance } from 'fastify';
import { createLogger, silentLogger } from '../../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../../shared/edge/metrics/registry.ts';
import { buildApp as buildXRayLocal } from '../../../../../services/xray-local/index.ts';
import { TransactionSearchCheck } from '../../../../../services/translator/export/transaction-search.ts';
import { waitFor } from '../../../../support/wait.ts';

const clientFor = (endpoint: string) => new XRayClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

/** A logger whose lines are kept (pino JSON written to a sink). */
function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({ level: 'info', service: 'test', destination: { write: (line: string) => { lines.push(JSON.parse(line) as { level: number; msg: string }); } } });
  return { logger, lines };
}

describe('TransactionSearchCheck', () => {
  let app: FastifyInstance;
  let client: XRayClient;
  before(async () => {
    app = buildXRayLocal({ logger: silentLogger(), registry: createRegistry(), maxSegments: 10 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    client = clientFor(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  });
  after(async () => {
    client.destroy();
    await app.close();
  });

  it('says plainly that Transaction Search is off, fails readiness, and heals once it is enabled', async () => {
    const { logger, lines } = recordingLogger();
    const check = new TransactionSearchCheck({ client, logger, recheckMs: 10 });
    try {
      const state = await check.start();
      assert.equal(state?.destination, 'XRay');
      assert.match(check.ready() ?? '', /^EXPORT_PROTOCOL=otlp: the account's trace segment destination is XRay: Transaction Search is not enabled/);
      assert.equal(lines.filter((l) => l.level === 40).length, 1, 'one warn line');
      await client.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
      await waitFor('readiness healed by the next read', 2000, () => check.ready() === undefined, { intervalMs: 5 });
      assert.ok(lines.some((l) => l.level === 30 && /Transaction Search is on/.test(l.msg)));
    } finally {
      check.stop();
    }
  });

  it('an unreachable endpoint is logged once and leaves readiness alone', async () => {
    const closed = buildXRayLocal({ logger: silentLogger(), registry: createRegistry(), maxSegments: 10 });
    await closed.listen({ port: 0, host: '127.0.0.1' });
    const endpoint = `http://127.0.0.1:${(closed.server.address() as AddressInfo).port}`;
    await closed.close();
    const down = clientFor(endpoint);
    const { logger, lines } = recordingLogger();
    const check = new TransactionSearchCheck({ client: down, logger });
    try {
      assert.equal(await check.start(), undefined);
      assert.equal(check.ready(), undefined);
      assert.equal(lines.filter((l) => l.level === 40 && /GetTraceSegmentDestination/.test(l.msg)).length, 1);
    } finally {
      check.stop();
      down.destroy();
    }
  });
});
