import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { InProcessTopic } from '../../../../../shared/edge/transport/index.ts';
import { InProcessSpanSource } from '../../../../../services/translator/consume/in-process-span-source.ts';
import { ConsumerHealth } from '../../../../../services/translator/health.ts';
import { createTranslatorMetrics } from '../../../../../services/translator/metrics.ts';
import { waitFor } from '../../../../support/wait.ts';

test('a batch that commits nothing (a poison record retried) is redelivered after a pause: timers and sockets get their turn', { timeout: 10_000 }, async () => {
  const topic = new InProcessTopic({ name: 'spans', partitions: 1, maxRecords: 10 });
  topic.append([{ key: 'k', value: Buffer.from('x'), headers: {}, timestampMs: 0 }]);
  const health = new ConsumerHealth({ stallTimeoutMs: 60_000, now: Date.now });
  const source = new InProcessSpanSource({ topic, partitionsConcurrency: 1, maxBatch: 10, logger: silentLogger(), health, metrics: createTranslatorMetrics(new Registry()), pollMs: 5 });
  let deliveries = 0;
  await source.start({ handle: () => { deliveries += 1; return Promise.resolve({}); }, revoke: () => {} });
  try {
    // waitFor polls with timers: none would fire while deliveries looped on promises alone
    await waitFor('a first delivery', 5_000, () => deliveries >= 1, { intervalMs: 1 });
    const seen = deliveries;
    await waitFor('the record delivered again', 5_000, () => deliveries > seen, { intervalMs: 1 });
    assert.equal(topic.size, 1, 'nothing committed');
  } finally {
    await source.stop();
  }
});
