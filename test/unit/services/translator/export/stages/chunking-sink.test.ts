import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkingSegmentSink } from '../../../../../../services/translator/export/stages/chunking-sink.ts';
import type { PutOutcome } from '../../../../../../services/translator/export/segment-sink.ts';

test('chunks of at most maxDocuments go side by side; one outcome with the caller\'s indices, the first unfinished chunk naming the code', async () => {
  const calls: string[][] = [];
  const sink = new ChunkingSegmentSink({
    put: async (docs): Promise<PutOutcome> => {
      calls.push([...docs]);
      if (docs[0] === 'd3') return { rejected: [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidId', message: 'x' }], unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [2] } };
      if (docs[0] === 'd6') return { rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'down', indices: [0] } };
      return { rejected: [] };
    },
  }, { maxDocuments: 3, maxPayloadBytes: 1024 * 1024 });
  const outcome = await sink.put(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
  assert.deepEqual(calls, [['d0', 'd1', 'd2'], ['d3', 'd4', 'd5'], ['d6']]);
  assert.deepEqual(outcome, {
    rejected: [{ index: 4, code: 'SEGMENT_REJECTED', reason: 'InvalidId', message: 'x' }],
    unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [5, 6] },
  });
});
