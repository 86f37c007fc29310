/**
 * `meshray stack`'s Kafka check (checkKafka) against the real broker: a dead first seed broker in front of a live
 * one is a working cluster (the check tried only the first: found by the second diff review), and something
 * that accepts connections but is not Kafka is named as such; a translator group that already has members is
 * named (translatorGroupNote).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { checkKafka, translatorGroupNote } from '../../../../../../services/cli/commands/stack/preflight.ts';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

test('a dead first seed broker in front of a live one passes the check; dead alone is named', { timeout: 60_000 }, async () => {
  assert.equal(await checkKafka({ KAFKA_BROKERS: `127.0.0.1:1,${BROKERS}` }), undefined);
  assert.match(await checkKafka({ KAFKA_BROKERS: '127.0.0.1:1' }) ?? '', /^Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\) does not answer as Kafka: Connection error: connect ECONNREFUSED 127\.0\.0\.1:1; /);
});

test('an endpoint that accepts the connection but never answers as Kafka is refused, naming the request that timed out', { timeout: 60_000 }, async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => { sockets.add(socket); socket.on('error', () => undefined); });
  await new Promise<void>((resolve) => { silent.listen(0, '127.0.0.1', resolve); });
  const port = (silent.address() as AddressInfo).port;
  try {
    assert.match(await checkKafka({ KAFKA_BROKERS: `127.0.0.1:${port}` }) ?? '', /does not answer as Kafka: Request ApiVersions\(key: 18, version: \d\) timed out; /);
    assert.equal(await checkKafka({ KAFKA_BROKERS: `127.0.0.1:${port},${BROKERS}` }), undefined, 'a live broker after it');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => { silent.close(() => resolve()); });
  }
});

test('a translator group that already has a member is named with that member (the stack\'s translators would share its partitions, silently)', { timeout: 90_000 }, async () => {
  const kafka = new Kafka({ clientId: 'preflight-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const topic = `preflight-group-${process.pid}-${Date.now()}`;
  const groupId = `${topic}-translators`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const consumer = kafka.consumer({ groupId });
  try {
    assert.equal(await translatorGroupNote({ KAFKA_BROKERS: BROKERS, TRANSLATOR_GROUP_ID: groupId }), undefined, 'no member yet');
    const joined = new Promise<void>((resolve) => { consumer.on(consumer.events.GROUP_JOIN, () => resolve()); });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => undefined });
    await joined;
    const note = await translatorGroupNote({ KAFKA_BROKERS: BROKERS, TRANSLATOR_GROUP_ID: groupId });
    assert.match(note ?? '', new RegExp(`^consumer group ${groupId} \\(TRANSLATOR_GROUP_ID\\) already has 1 member on this Kafka \\(preflight-test@[^)]+\\): this stack's translators share the partitions with it, .*set TRANSLATOR_GROUP_ID to a new group`));
    assert.equal(await translatorGroupNote({ KAFKA_BROKERS: BROKERS, TRANSLATOR_GROUP_ID: `${groupId}-other` }), undefined, 'another group');
  } finally {
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
