import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { toSpanRecords } from '../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { main, type RunningTranslator } from '../../../../services/translator/main.ts';
import { bookinfoTrace } from '../../../support/bookinfo.ts';
import { waitFor } from '../../../support/wait.ts';
import { startXRayLocal, type XRayLocal } from '../../../support/xray-local.ts';
import { IDEMPOTENT } from '../../../support/idempotent-producer.ts';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const kafka: Kafka = createKafka({ brokers: parseBrokers(BROKERS), clientId: 'translator-export-health-it', logLevel: 'nothing' });
const producer = kafka.producer(IDEMPOTENT);

/** One Bookinfo trace with its own trace and span ids. */
const bookinfo = bookinfoTrace;

async function produce(topic: string, spans: readonly Span[]): Promise<void> {
  const records = toSpanRecords(spans, Date.now());
  await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })) });
}

before(async () => { await producer.connect(); });
after(async () => { await producer.disconnect(); });

const unique = (what: string) => `it-export-health-${what}-${randomUUID().slice(0, 8)}`;

async function readiness(t: RunningTranslator): Promise<{ status: number; reason?: string }> {
  const res = await fetch(`http://127.0.0.1:${t.opsPort}/health/ready`);
  const body = await res.json() as { reason?: string };
  return { status: res.status, ...(body.reason !== undefined ? { reason: body.reason } : {}) };
}

const storedIds = (x: XRayLocal, spans: readonly Span[]) => spans.filter((s) => x.received.has(s.id)).length;

/** Answers every PutTraceSegments like X-Ray does for a caller it does not let in (restJson1 error). */
const denyingEveryCall = (app: XRayLocal['app']): void => {
  app.addHook('onRequest', async (req, reply) => {
    if (req.url !== '/TraceSegments') return;
    await reply.code(403).header('x-amzn-errortype', 'AccessDeniedException').header('content-type', 'application/json')
      .send({ message: 'User: arn:aws:iam::123456789012:user/meshray is not authorized to perform: xray:PutTraceSegments' });
  });
};

test('readiness turns false with the reason when X-Ray is down or denies access for EXPORT_FAILURE_TIMEOUT, true again once it answers', async () => {
  const topic = unique('spans');
  await ensureTopics(kafka, [{ topic, numPartitions: 2, replicationFactor: -1 }]);
  let xray = await startXRayLocal();
  const port = xray.port;
  const translator = await main({
    KAFKA_BROKERS: BROKERS, REDIS_URL, SPANS_TOPIC: topic, DLQ_TOPIC: `${topic}.dlq`, TRANSLATOR_GROUP_ID: unique('group'),
    KAFKA_CLIENT_ID: 'export-health-it', OPS_HOST: '127.0.0.1', TRANSLATOR_OPS_PORT: '0', LOG_LEVEL: 'silent',
    XRAY_ENDPOINT: xray.endpoint, EXPORT_FAILURE_TIMEOUT: '1s', XRAY_MAX_RETRIES: '2', XRAY_RETRY_BASE: '20ms', XRAY_RETRY_MAX: '100ms',
  });
  try {
    await waitFor('the translator to join its group', 30_000, async () => (await readiness(translator)).status === 200);
    const first = bookinfo(1);
    await produce(topic, first);
    await waitFor('the first trace in xray-local', 30_000, () => storedIds(xray, first) === first.length);

    // X-Ray unreachable: the listener is gone, calls fail with ECONNREFUSED.
    await xray.close();
    const second = bookinfo(2);
    await produce(topic, second);
    const down = await waitFor('readiness to fail while X-Ray is unreachable', 30_000, async () => {
      const r = await readiness(translator);
      return r.status === 503 ? r : undefined;
    });
    assert.match(down.reason ?? '', /^X-Ray export failing for \d+ s: XRAY_UNAVAILABLE: .*ECONNREFUSED/);

    // X-Ray back, but it refuses the caller: still not ready, now saying why.
    xray = await startXRayLocal({ port, configure: denyingEveryCall });
    const denied = await waitFor('readiness to name the access error', 30_000, async () => {
      const r = await readiness(translator);
      return r.status === 503 && /XRAY_ACCESS_DENIED/.test(r.reason ?? '') ? r : undefined;
    });
    assert.match(denied.reason ?? '', /XRAY_ACCESS_DENIED: AccessDeniedException: User: .* is not authorized/);
    const metrics = await (await fetch(`http://127.0.0.1:${translator.opsPort}/metrics`)).text();
    assert.match(metrics, /meshray_translator_put_calls_total\{outcome="denied"\} [1-9]/);
    assert.equal(storedIds(xray, second), 0, 'nothing of the second trace got through a denying X-Ray');
    await xray.close();

    // X-Ray answers again: the held-back trace arrives (nothing was committed or dead-lettered) and readiness recovers.
    xray = await startXRayLocal({ port });
    await waitFor('the second trace after X-Ray came back', 30_000, () => storedIds(xray, second) === second.length);
    await waitFor('readiness to recover', 10_000, async () => (await readiness(translator)).status === 200);
  } finally {
    await translator.close();
    await xray.close();
  }
});
