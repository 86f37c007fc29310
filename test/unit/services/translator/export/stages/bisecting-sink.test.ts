import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BisectingSegmentSink } from '../../../../../../services/translator/export/stages/bisecting-sink.ts';
import type { PutOutcome, SegmentSink } from '../../../../../../services/translator/export/segment-sink.ts';

/** A request X-Ray refuses as a whole whenever it holds `bad`; records each call's documents. */
function refusing(bad: string): { sink: SegmentSink; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    sink: {
      put: async (docs): Promise<PutOutcome> => {
        calls.push([...docs]);
        return docs.includes(bad)
          ? { rejected: [], unfinished: { code: 'SEGMENT_REJECTED', message: 'InvalidRequestException: bad segment', indices: docs.map((_, i) => i) } }
          : { rejected: [] };
      },
    },
  };
}

test('a request refused as a whole is halved until the invalid document stands alone; it alone is rejected', async () => {
  const inner = refusing('d5');
  const docs = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];
  const outcome = await new BisectingSegmentSink(inner.sink).put(docs);
  assert.deepEqual(outcome, { rejected: [{ index: 5, code: 'SEGMENT_REJECTED', reason: 'InvalidRequestException', message: 'bad segment' }] });
  // 8 → 4+4 → (4 accepted) 2+2 → (2 accepted) 1+1
  assert.deepEqual(inner.calls.map((c) => c.join(',')), ['d0,d1,d2,d3,d4,d5,d6,d7', 'd0,d1,d2,d3', 'd4,d5,d6,d7', 'd4,d5', 'd6,d7', 'd4', 'd5']);
});

test('other outcomes pass through untouched', async () => {
  const outcome: PutOutcome = { rejected: [{ index: 1, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }], unfinished: { code: 'XRAY_THROTTLED', message: 'slow down', indices: [0] } };
  assert.deepEqual(await new BisectingSegmentSink({ put: async () => outcome }).put(['a', 'b']), outcome);
});
