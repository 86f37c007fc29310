import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../shared/core/span-record/headers.ts';
import { toSpanRecords } from '../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { main } from '../../../../services/translator/main.ts';
import { run as capture } from '../../../../services/cli/commands/capture.ts';
import { runCommand } from '../../../unit/services/cli/io.ts';
import { kafkaTestClient } from '../../../support/kafka-test-client.ts';
import { waitFor } from '../../../support/wait.ts';
import { startXRayLocal } from '../../../support/xray-local.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const { brokers: BROKERS, kafka, producer, admin, dir, unique } = kafkaTestClient('capture-dlq');

const span: Span = {
  traceId: '5af7183fb1d4cf5f5af7183fb1d4cf5f', id: '6b221d5bc9e6496c', name: 'get /ratings', kind: 'SERVER',
  timestampMicros: Date.now() * 1000, durationMicros: 1200, localEndpoint: { serviceName: 'ratings' }, annotations: [], tags: {},
};

interface Entry {
  time: string; reason: string; errorCode: string; attempts: number | null;
  source: { topic: string; partition: number | null; offset: string }; dlq: { partition: number; offset: string };
  message: string; span: unknown;
}

test('a poison record dead-lettered by the translator reads back through capture --dlq with its reason, code, attempts, source and time', async () => {
  const topic = unique('spans');
  const dlq = `${topic}.dlq`;
  await ensureTopics(kafka, [{ topic, numPartitions: 2, replicationFactor: -1 }]);
  const xray = await startXRayLocal();
  const startedAt = Date.now();
  const translator = await main({
    KAFKA_BROKERS: BROKERS, REDIS_URL, SPANS_TOPIC: topic, DLQ_TOPIC: dlq, TRANSLATOR_GROUP_ID: unique('group'),
    KAFKA_CLIENT_ID: 'capture-dlq-it', OPS_HOST: '127.0.0.1', TRANSLATOR_OPS_PORT: '0', LOG_LEVEL: 'silent',
    XRAY_ENDPOINT: xray.endpoint, POISON_MAX_ATTEMPTS: '2',
  });
  try {
    // A good span and, in the same partition (same key), a record whose value is not Avro.
    const [good] = toSpanRecords([span], Date.now());
    assert.ok(good);
    const [meta] = await producer.send({
      topic, acks: -1,
      messages: [
        { key: good.key, value: good.value, headers: { ...good.headers } },
        { key: good.key, value: Buffer.from('definitely not avro'), headers: { [SPAN_SCHEMA_HEADER]: good.headers[SPAN_SCHEMA_HEADER] ?? '' } },
      ],
    });
    assert.ok(meta);
    const poisonOffset = String(BigInt(meta.baseOffset ?? '0') + 1n);
    await waitFor('the dead letter', 60_000, async () => {
      const offsets = await admin.fetchTopicOffsets(dlq).catch(() => []);
      return offsets.some((o) => o.high !== '0');
    });

    const file = join(dir, 'dlq.ndjson');
    const env = { KAFKA_BROKERS: BROKERS, DLQ_TOPIC: dlq };
    const out = await runCommand(capture, ['--dlq', '--all', '--summary', '--output', file, '--quiet'], '', env);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '', '--quiet: nothing on stderr when all went well');
    const entries = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Entry);
    assert.equal(entries.length, 1, `exactly one dead letter, got: ${JSON.stringify(entries.map(({ span: _span, ...e }) => e))}`);
    const entry = entries[0]!;
    assert.equal(entry.reason, 'undecodable');
    assert.equal(entry.errorCode, 'RECORD_UNDECODABLE');
    assert.equal(entry.attempts, 2, 'POISON_MAX_ATTEMPTS deliveries');
    assert.deepEqual(entry.source, { topic, partition: meta.partition, offset: poisonOffset });
    assert.deepEqual(entry.dlq, { partition: 0, offset: '0' });
    assert.ok(entry.message.length > 0, 'the dead letter says why');
    assert.equal(entry.span, null, 'an undecodable record has no span, but is listed');
    const deadLetteredMs = Date.parse(entry.time);
    assert.ok(deadLetteredMs >= startedAt && deadLetteredMs <= Date.now(), `time ${entry.time} is when it was dead-lettered`);

    assert.match(out.stdout, new RegExp(`^${dlq}: 1 dead letter, 1 reason\\nreason +error code +records +first +last\\nundecodable +RECORD_UNDECODABLE +1 +${entry.time.replace(/[.]/g, '\\.')} +${entry.time.replace(/[.]/g, '\\.')}\\n$`));

    // --summary alone: the table is all of stdout.
    const only = await runCommand(capture, ['--dlq', '--all', '--summary'], '', env);
    assert.equal(only.code, 0, only.stderr);
    assert.equal(only.stdout, out.stdout);
    assert.match(only.stderr, /1 record in 1 of 1 partition → summary only/);
  } finally {
    await translator.close();
    await xray.close();
  }
});

test('capture --dlq --summary counts every dead letter in any format, a batch of only undecodable ones too (it left those out of ndjson and zipkin-json)', async () => {
  const dlq = unique('summary.dlq');
  await ensureTopics(kafka, [{ topic: dlq, numPartitions: 1, replicationFactor: -1 }]);
  const [good] = toSpanRecords([span], Date.now());
  assert.ok(good);
  const poison = { key: good.key, value: Buffer.from('definitely not avro'), headers: { [SPAN_SCHEMA_HEADER]: good.headers[SPAN_SCHEMA_HEADER] ?? '' } };
  const fine = { key: good.key, value: good.value, headers: { ...good.headers } };
  // the first batch (--batch-size 3) holds only undecodable records
  await producer.send({ topic: dlq, acks: -1, messages: [poison, poison, poison, fine, fine] });
  const env = { KAFKA_BROKERS: BROKERS, DLQ_TOPIC: dlq };
  for (const format of ['dead-letters', 'ndjson', 'zipkin-json']) {
    const out = await runCommand(capture, ['--dlq', '--all', '--summary', '--quiet', '--batch-size', '3', '--format', format, '--output', join(dir, `summary.${format}`)], '', env);
    assert.match(out.stdout, new RegExp(`^${dlq.replace(/\./g, '\\.')}: 5 dead letters`), `${format}: ${out.stdout}`);
  }
});

test('capture --dlq --from/--to keeps the dead letters whose time is in range, whatever their order (a dead letter keeps its span record\'s time: the offset-by-time lookup dropped earlier ones and took later ones)', async () => {
  const dlq = unique('times.dlq');
  await ensureTopics(kafka, [{ topic: dlq, numPartitions: 1, replicationFactor: -1 }]);
  // An hour ago, on a minute: records older than the broker's time retention (7 days) go at its next check.
  const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const iso = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
  const at = (minutes: number, id: string) => {
    const [record] = toSpanRecords([{ ...span, id }], t0 + minutes * 60_000);
    assert.ok(record);
    return { key: record.key, value: record.value, headers: { ...record.headers }, timestamp: String(record.timestampMs) };
  };
  // appended in failure order: a span of 10:10 failed first, one of 10:01 later
  await producer.send({ topic: dlq, acks: -1, messages: [at(10, 'aaaaaaaaaaaaaa10'), at(1, 'aaaaaaaaaaaaaa01')] });
  const env = { KAFKA_BROKERS: BROKERS, DLQ_TOPIC: dlq };
  const idsIn = async (from: string, to: string) => {
    const out = await runCommand(capture, ['--dlq', '--from', from, '--to', to, '--format', 'ndjson', '--quiet'], '', env);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.trim().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id);
  };
  assert.deepEqual(await idsIn(iso(0), iso(5)), ['aaaaaaaaaaaaaa01']);
  assert.deepEqual(await idsIn(iso(8), iso(20)), ['aaaaaaaaaaaaaa10']);
  // Stopped part way (a full disk): the rerun keeps the time range (--offsets would read the DLQ unfiltered).
  const stopped = await runCommand(capture, ['--dlq', '--from', iso(0), '--to', iso(5), '--format', 'ndjson', '--quiet', '--output', '/dev/full'], '', env);
  assert.equal(stopped.code, 1, stopped.stderr);
  assert.match(stopped.stderr, /the rest: rerun with the same --dlq --from\/--to/);
  assert.doesNotMatch(stopped.stderr, /--offsets/);
});
