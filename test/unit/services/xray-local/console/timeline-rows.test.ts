import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import { buildTimeline } from '../../../../../services/xray-local/console/src/timeline-rows.ts';

const golden = (): SegmentDocument[] =>
  readFileSync(new URL('../../../../fixtures/golden/bookinfo-istio-1.7.4.xray.ndjson', import.meta.url), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SegmentDocument);

const shape = (docs: SegmentDocument[]): string[] => buildTimeline(docs).rows.map((r) => `${r.depth} ${r.kind} ${r.name}`);

test('the Bookinfo trace nests by parent_id, siblings by start time, whatever the document order', () => {
  const expected = [
    '0 segment istio-ingressgateway',
    '1 subsegment productpage.default',
    '2 segment productpage.default',
    '3 subsegment details.default',
    '4 segment details.default',
    '3 subsegment reviews.default',
    '4 segment reviews.default',
    '5 subsegment ratings.default',
    '6 segment ratings.default',
  ];
  assert.deepEqual(shape(golden()), expected);
  assert.deepEqual(shape(golden().reverse()), expected);
  const timeline = buildTimeline(golden());
  assert.equal(timeline.startSec, 1561141508.707487);
  assert.equal(timeline.endSec, 1561141508.787072);
});

test('embedded subsegments sit under their holder; a missing parent makes a flagged root; cycles do not hide documents', () => {
  const base = { trace_id: '1-5d0d2104-8a2daf31f6604fffcf8ffe2a', start_time: 10, end_time: 11 };
  const docs = [
    { ...base, name: 'svc', id: 'a000000000000001', subsegments: [{ name: 'db', id: 'a000000000000002', start_time: 10.1, end_time: 10.2, subsegments: [{ name: 'q', id: 'a000000000000003', start_time: 10.11, end_time: 10.12 }] }] },
    { ...base, name: 'orphan', id: 'b000000000000001', parent_id: 'ffffffffffffffff', start_time: 12 },
    { ...base, name: 'x', id: 'c000000000000001', parent_id: 'c000000000000002', type: 'subsegment', start_time: 13 },
    { ...base, name: 'y', id: 'c000000000000002', parent_id: 'c000000000000001', type: 'subsegment', start_time: 14 },
  ] as unknown as SegmentDocument[];
  const timeline = buildTimeline(docs);
  assert.deepEqual(timeline.rows.map((r) => `${r.depth} ${r.kind} ${r.name}`), [
    '0 segment svc', '1 subsegment db', '2 subsegment q', '0 segment orphan', '0 subsegment x', '1 subsegment y',
  ]);
  assert.equal(timeline.rows[3]?.missingParentId, 'ffffffffffffffff');
  assert.equal(timeline.rows[0]?.missingParentId, undefined);
  assert.deepEqual(buildTimeline([]), { rows: [], startSec: 0, endSec: 0 });
});
