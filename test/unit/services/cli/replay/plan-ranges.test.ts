import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAllRanges, planOffsetRanges, planTimeRanges, recordsIn } from '../../../../../services/cli/replay/plan-ranges.ts';

const marks = [
  { partition: 1, low: 0, high: 50 },
  { partition: 0, low: 100, high: 300 },
];

test('time ranges: start at the first record ≥ from, end at the first ≥ to, never past the captured high-water mark', () => {
  const plan = planTimeRanges(marks, [{ partition: 0, offset: 150 }, { partition: 1, offset: 50 }], [{ partition: 0, offset: 400 }, { partition: 1, offset: 50 }]);
  assert.deepEqual(plan.ranges, [
    { partition: 0, startOffset: 150, endOffset: 300 },
    { partition: 1, startOffset: 50, endOffset: 50 },
  ]);
  assert.equal(recordsIn(plan.ranges), 150);
  const open = planTimeRanges(marks, [{ partition: 0, offset: 150 }, { partition: 1, offset: 10 }]);
  assert.deepEqual(open.ranges.map((r) => r.endOffset), [300, 50]);
});

test('all: log start to high-water mark', () => {
  assert.deepEqual(planAllRanges(marks).ranges, [{ partition: 0, startOffset: 100, endOffset: 300 }, { partition: 1, startOffset: 0, endOffset: 50 }]);
});

test('offset ranges: inclusive end becomes exclusive; clamped to the log with warnings', () => {
  const plan = planOffsetRanges({ kind: 'offsets', ranges: [{ partition: 0, startOffset: 50, endOffset: 120 }, { partition: 1, startOffset: 40, endOffset: 99 }] }, marks, 't');
  assert.deepEqual(plan.ranges, [{ partition: 0, startOffset: 100, endOffset: 121 }, { partition: 1, startOffset: 40, endOffset: 50 }]);
  assert.deepEqual(plan.warnings, [
    'partition 0: offsets 50-99 are no longer in the topic (retention); reading from 100',
    'partition 1: end offset 99 is past the last record (49); reading up to 49',
  ]);
  const open = planOffsetRanges({ kind: 'offsets', ranges: [{ partition: 1, startOffset: 7 }] }, marks, 't');
  assert.deepEqual(open, { ranges: [{ partition: 1, startOffset: 7, endOffset: 50 }], warnings: [] });
});

test('offset ranges: an unknown partition is an error naming the topic', () => {
  assert.throws(() => planOffsetRanges({ kind: 'offsets', ranges: [{ partition: 9, startOffset: 0 }] }, marks, 'meshray.spans'), /topic meshray.spans has no partition 9/);
});
