import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
// As every meshray module that loads kafkajs does: through client.ts, whose first import is batch-checksum.ts.
import { createKafka } from '../../../../../shared/edge/kafka/client.ts';
import { KAFKA_BATCH_CHECKSUM, KAFKAJS_CHECKSUM_MODULE } from '../../../../../shared/edge/kafka/batch-checksum.ts';
import { encodeSpanItems, spanListValueOf } from '../../../../../shared/core/avro/span-codec.ts';
import { decodeSpans } from '../../../../../shared/core/zipkin/index.ts';

const require = createRequire(import.meta.url);
/** kafkajs's own byte-at-a-time loop (the file its checksum module wraps; never replaced). */
const kafkajsLoop = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const bookinfo = readFileSync(new URL('../../../../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url));

test('kafkajs gets the native CRC-32C when meshray loads kafkajs', () => {
  assert.equal(typeof createKafka, 'function');
  assert.deepEqual(KAFKA_BATCH_CHECKSUM, { native: true });
  const used = require(KAFKAJS_CHECKSUM_MODULE) as (b: Buffer) => number;
  assert.notEqual(used.toString(), (require.cache[require.resolve('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js')]?.exports as object).toString());
  assert.match(used.toString(), /crc32c/);
});

test('the native checksum gives kafkajs\'s values: empty, short, odd lengths, large, and a span-list record', () => {
  const used = require(KAFKAJS_CHECKSUM_MODULE) as (b: Buffer) => number;
  const decoded = decodeSpans(bookinfo, 'json-v2');
  assert.ok(decoded.ok);
  const record = spanListValueOf([encodeSpanItems(decoded.value)], decoded.value.length);
  const inputs = [Buffer.alloc(0), Buffer.from([0]), Buffer.from('123456789'), Buffer.alloc(7, 0xff), record];
  for (let n = 1; n < 300; n += 37) inputs.push(Buffer.from(Array.from({ length: n * 13 }, (_, i) => (i * 131 + n) & 0xff)));
  // RFC 3720 appendix B.4's check value of CRC-32C over "123456789"
  assert.equal(used(Buffer.from('123456789')), 0xe3069283);
  for (const input of inputs) {
    const value = used(input);
    assert.equal(value, kafkajsLoop(input), `${input.length} bytes`);
    assert.ok(value >= 0 && value <= 0xffffffff && Number.isInteger(value), 'an unsigned 32-bit value, as kafkajs writes it');
  }
});

test('kafkajs\'s record-batch encoder writes the checksum of the batch it encodes', async () => {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
  const decoded = decodeSpans(bookinfo, 'json-v2');
  assert.ok(decoded.ok);
  const value = spanListValueOf([encodeSpanItems(decoded.value)], decoded.value.length);
  const batch = (await RecordBatch({ records: [Record({ offsetDelta: 0, timestampDelta: 0, key: null, value, headers: {} })] })).buffer;
  // RecordBatch: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32, then
  // the bytes the crc covers (attributes to the end; Kafka protocol guide, "Record Batch")
  assert.equal(batch.readInt8(16), 2);
  assert.equal(batch.readUInt32BE(17), kafkajsLoop(batch.subarray(21)));
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('every meshray module that loads kafkajs (a value import) imports batch-checksum.ts before it', () => {
  const root = new URL('../../../../../', import.meta.url).pathname;
  const loaders = ['services', 'shared'].flatMap((d) => sources(join(root, d))).filter((file) => {
    const text = readFileSync(file, 'utf8');
    return /^import (?!type )[^;]*from 'kafkajs';/m.test(text) || /^import 'kafkajs';/m.test(text) || /require\('kafkajs'\)/.test(text);
  });
  assert.ok(loaders.length >= 2, `found ${loaders.length}`);
  for (const file of loaders) {
    const imports = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('import '));
    assert.equal(imports[0], "import './batch-checksum.ts';", `${file.slice(root.length)}: its first import`);
  }
});
