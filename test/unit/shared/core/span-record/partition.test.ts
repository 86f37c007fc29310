import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { murmur2Ascii, spanPartitionOf } from '../../../../../shared/core/span-record/partition.ts';
import { spanRecordKeyOf } from '../../../../../shared/core/span-record/record.ts';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);

test('spanPartitionOf agrees with kafkajs\' (Kafka\'s Java) default partitioner on the v1 record key, for many trace ids and partition counts', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 3, 6, 12, 100]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    for (let i = 0; i < 500; i++) {
      const traceId = `${hex(i * 2654435761, 8)}${hex(i * 40503, 8)}${hex(i * 97 + 13, 8)}${hex(i * 7919, 8)}`;
      const args = { topic: 't', partitionMetadata, message: { key: spanRecordKeyOf(traceId), value: null } } as unknown as PartitionerArgs;
      assert.equal(spanPartitionOf(traceId, partitions), partitioner(args), `${traceId} over ${partitions}`);
    }
  }
});

test('the 64-bit and the 128-bit id of one trace map to one partition; murmur2 of known keys', () => {
  assert.equal(spanPartitionOf('463ac35c9f6413ad48485a3953bb6124', 12), spanPartitionOf('48485a3953bb6124', 12));
  // Kafka's Utils.murmur2 test vectors (clients/src/test/.../UtilsTest.java testMurmur2)
  assert.equal(murmur2Ascii('21'), -973932308);
  assert.equal(murmur2Ascii('foobar'), -790332482);
  assert.equal(murmur2Ascii('a-little-bit-long-string'), -985981536);
  assert.equal(murmur2Ascii('a-little-bit-longer-string'), -1486304829);
  assert.equal(murmur2Ascii('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971);
  assert.equal(murmur2Ascii('abc'), 479470107);
});
