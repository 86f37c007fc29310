/**
 * Which partition of the span topic a trace's spans go to: the contract every consumer of the topic may rely on.
 *
 *   partition = (murmur2(utf8(spanRecordKeyOf(traceId))) & 0x7fffffff) % partitions
 *
 * where spanRecordKeyOf is the low 64 bits of the trace id as 16 lowercase hex characters and murmur2 is
 * Kafka's (Java client `org.apache.kafka.common.utils.Utils.murmur2`, seed 0x9747b28c; kafkajs'
 * `Partitioners.DefaultPartitioner`). So a record keyed by that key (span schema v1, one span per record) and
 * a span-list record (v2, no key, explicit partition) put a trace's spans in the same partition, and a
 * 64-bit and a 128-bit id of one trace agree. Pure: no I/O.
 */
import { traceIdLow64 } from '../zipkin/trace-id.ts';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of an ASCII string (the keys here are hex), as a signed 32-bit integer. */
export function murmur2Ascii(key: string): number {
  const length = key.length;
  let h = SEED ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (key.charCodeAt(i4) & 0xff) | ((key.charCodeAt(i4 + 1) & 0xff) << 8)
      | ((key.charCodeAt(i4 + 2) & 0xff) << 16) | ((key.charCodeAt(i4 + 3) & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (key.charCodeAt(tail + 2) & 0xff) << 16;
  if (rest >= 2) h ^= (key.charCodeAt(tail + 1) & 0xff) << 8;
  if (rest >= 1) {
    h ^= key.charCodeAt(tail) & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition (0..partitions-1) of the span topic that every span of trace `traceId` (16 or 32 hex) goes to. */
export function spanPartitionOf(traceId: string, partitions: number): number {
  return (murmur2Ascii(traceIdLow64(traceId)) & 0x7fffffff) % partitions;
}
