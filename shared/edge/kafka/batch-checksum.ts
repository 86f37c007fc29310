/**
 * kafkajs's producer checksums every record batch it writes (CRC-32C over the batch from its attributes on: Kafka's
 * RecordBatch format, "CRC" in the protocol guide's message format, KIP-98) with a byte-at-a-time JavaScript loop
 * (kafkajs 2.2.4 src/protocol/recordBatch/crc32C/crc32C.js). On the receiver's span-list records (31 KB for 51
 * spans at saturation) that loop costs 72 µs per record, about 1.4 µs per span: 6 % of the receiver's CPU
 * (issue 9; docs/sizing.md §38). This module hands kafkajs @node-rs/crc32's `crc32c` instead (the same function in
 * native code through napi-rs, with the CPU's CRC32 instructions: 12–15× faster on those records, same values).
 *
 * How: kafkajs reads its checksum module with `require('../crc32C')` when its record-batch encoder is loaded, which
 * is on the first Produce or Fetch request it builds (kafkajs src/protocol/requests/produce/v3/request.js), not
 * when kafkajs itself is loaded. This module, imported by client.ts (through which meshray builds every Kafka
 * client), puts a module exporting the native function in Node's CommonJS cache under that file's resolved name
 * first, so kafkajs's `require` finds it there. Nothing of kafkajs is changed on disk, and the consumer side is not
 * touched (kafkajs does not verify checksums when it reads).
 *
 * When it does nothing (`KAFKA_BATCH_CHECKSUM.native` false, with the reason; createKafkaFromConfig logs it once):
 * @node-rs/crc32 has no binary for this platform, kafkajs is not the 2.2.4 whose checksum module this replaces, or
 * kafkajs built a request before this module ran. kafkajs then keeps its own loop, slower and as correct. A wrong
 * checksum cannot pass unnoticed: the broker verifies every batch a producer writes and refuses a mismatch
 * (CORRUPT_MESSAGE), which every test that produces to the real broker would meet.
 */
import { createRequire, Module } from 'node:module';

/** kafkajs's checksum module (exports `(buffer) => unsigned CRC-32C`), as its record-batch encoder requires it. */
export const KAFKAJS_CHECKSUM_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

/** The kafkajs release whose checksum module's contract (a Buffer in, an unsigned 32-bit CRC-32C out) was checked. */
const KAFKAJS_CHECKED = '2.2.4';

/** Whether kafkajs writes its record batches' checksums with the native CRC-32C (see above), and why not when not. */
export const KAFKA_BATCH_CHECKSUM: { readonly native: boolean; readonly reason?: string } = Object.freeze(install());

function install(): { native: boolean; reason?: string } {
  const require = createRequire(import.meta.url);
  let filename: string;
  let crc32c: unknown;
  try {
    const { version } = require('kafkajs/package.json') as { version: string };
    if (version !== KAFKAJS_CHECKED) return { native: false, reason: `kafkajs ${version} is not ${KAFKAJS_CHECKED}, whose checksum module was checked` };
    filename = require.resolve(KAFKAJS_CHECKSUM_MODULE);
    ({ crc32c } = require('@node-rs/crc32') as { crc32c: unknown });
  } catch (err) {
    return { native: false, reason: (err as Error).message };
  }
  if (typeof crc32c !== 'function') return { native: false, reason: '@node-rs/crc32 has no crc32c function' };
  if (require.cache[filename] !== undefined) return { native: false, reason: 'kafkajs built a Kafka request before shared/edge/kafka/batch-checksum.ts ran' };
  const native = crc32c as (input: Buffer) => number;
  const module = new Module(filename);
  module.filename = filename;
  module.loaded = true;
  module.exports = function nativeBatchChecksum(buffer: Buffer): number {
    return native(buffer) >>> 0;
  };
  require.cache[filename] = module;
  return { native: true };
}
