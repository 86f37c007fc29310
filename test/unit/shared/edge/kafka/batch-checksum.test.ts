import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KAFKA_BATCH_CHECKSUM, KAFKAJS_CHECKSUM_MODULE } from '../../../../../shared/edge/kafka/batch-checksum.ts';
import { encodeSpanItems, spanListValueOf } from '../../../../../shared/core/avro/span-codec.ts';
import { decodeSpans } from '../../../../../shared/core/zipkin/index.ts';

const require = createRequire(import.meta.url);
/** kafkajs's own byte-at-a-time loop (the file its checksum module wraps; never replaced). */
const kafkajsLoop = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const bookinfo = readFileSync(new URL('../../../../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));
const spanList = (): Buffer => {
  const decoded = decodeSpans(bookinfo, 'json-v2');
  assert.ok(decoded.ok);
  return spanListValueOf([encodeSpanItems(decoded.value)], decoded.value.length);
};

test('a process that builds its Kafka clients through client.ts hands kafkajs\'s record-batch encoder the native checksum', () => {
  // A fresh process importing client.ts alone, then loading kafkajs's record-batch encoder as a first produce does.
  const script = `
    await import(${JSON.stringify(new URL('../../../../../shared/edge/kafka/client.ts', import.meta.url).href)});
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(import.meta.url)});
    require('kafkajs/src/protocol/recordBatch/v0/index.js');
    const encoder = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')];
    const checksum = encoder.children.find((m) => m.filename === require.resolve(${JSON.stringify(KAFKAJS_CHECKSUM_MODULE)}));
    process.stdout.write(String(checksum?.exports.name));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out, 'nativeBatchChecksum');
});

test('kafkajs\'s record-batch encoder, here too, uses the native checksum and writes the batch\'s CRC-32C', async () => {
  assert.deepEqual(KAFKA_BATCH_CHECKSUM, { native: true });
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
  const used = require.cache[require.resolve(KAFKAJS_CHECKSUM_MODULE)];
  assert.equal((used?.exports as { name: string }).name, 'nativeBatchChecksum');
  assert.ok(require.cache[require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')]?.children.includes(used as NodeJS.Module), 'the encoder required the cached module');
  const batch = (await RecordBatch({ records: [Record({ offsetDelta: 0, timestampDelta: 0, key: null, value: spanList(), headers: {} })] })).buffer;
  // RecordBatch: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32, then
  // the bytes the crc covers (attributes to the end; Kafka protocol guide, "Record Batch")
  assert.equal(batch.readInt8(16), 2);
  assert.equal(batch.readUInt32BE(17), kafkajsLoop(batch.subarray(21)));
});

test('the native checksum gives kafkajs\'s values: empty, short, odd lengths, large, and a span-list record', () => {
  const used = require(KAFKAJS_CHECKSUM_MODULE) as (b: Buffer) => number;
  const inputs = [Buffer.alloc(0), Buffer.from([0]), Buffer.from('123456789'), Buffer.alloc(7, 0xff), spanList()];
  for (let n = 1; n < 300; n += 37) inputs.push(Buffer.from(Array.from({ length: n * 13 }, (_, i) => (i * 131 + n) & 0xff)));
  // RFC 3720 appendix B.4's check value of CRC-32C over "123456789"
  assert.equal(used(Buffer.from('123456789')), 0xe3069283);
  for (const input of inputs) {
    const value = used(input);
    assert.equal(value, kafkajsLoop(input), `${input.length} bytes`);
    assert.ok(value >= 0 && value <= 0xffffffff && Number.isInteger(value), 'an unsigned 32-bit value, as kafkajs writes it');
  }
});

test('when kafkajs built a request first, kafkajs keeps its own loop, and createKafkaFromConfig says so once, at info, with the reason', () => {
  // A fresh process in which kafkajs's checksum module is loaded before batch-checksum.ts runs (as a first
  // Produce or Fetch request would load it), then two clients built from config with a logger that keeps its lines.
  const script = `
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(import.meta.url)});
    const first = require(${JSON.stringify(KAFKAJS_CHECKSUM_MODULE)});
    const { KAFKA_BATCH_CHECKSUM } = await import(${JSON.stringify(new URL('../../../../../shared/edge/kafka/batch-checksum.ts', import.meta.url).href)});
    const { createKafkaFromConfig } = await import(${JSON.stringify(new URL('../../../../../shared/edge/kafka/from-config.ts', import.meta.url).href)});
    const { createLogger } = await import(${JSON.stringify(new URL('../../../../../shared/edge/log/index.ts', import.meta.url).href)});
    const lines = [];
    const logger = createLogger({ level: 'info', service: 'test', destination: { write: (line) => { lines.push(JSON.parse(line)); } } });
    const config = { KAFKA_BROKERS: ['127.0.0.1:9'], KAFKA_CLIENT_ID: 'meshray-test', KAFKA_SSL: false, KAFKA_SASL_MECHANISM: 'none', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' };
    createKafkaFromConfig(config, logger);
    createKafkaFromConfig(config, logger);
    const loaded = require.cache[require.resolve(${JSON.stringify(KAFKAJS_CHECKSUM_MODULE)})];
    process.stdout.write(JSON.stringify({ state: KAFKA_BATCH_CHECKSUM, lines, kept: loaded.exports === first && first.name !== 'nativeBatchChecksum' }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    state: { native: boolean; reason?: string }; lines: { level: number; component?: string; reason?: string; msg: string }[]; kept: boolean;
  };
  assert.deepEqual(out.state, { native: false, reason: 'kafkajs built a Kafka request before shared/edge/kafka/batch-checksum.ts ran' });
  assert.equal(out.kept, true, 'kafkajs keeps the module it loaded (its own loop), not replaced afterwards');
  const said = out.lines.filter((l) => /own JavaScript loop/.test(l.msg));
  assert.equal(said.length, 1, JSON.stringify(out.lines));
  assert.equal(said[0]?.level, 30); // pino's info
  assert.equal(said[0]?.component, 'kafkajs');
  assert.equal(said[0]?.reason, out.state.reason);
});
