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

test('offset ranges wholly past the end, or wholly expired, read nothing and say why, with no "reading up to" line (found by review: silent)', () => {
  const withEmpty = [...marks, { partition: 2, low: 0, high: 0 }];
  const plan = planOffsetRanges({ kind: 'offsets', ranges: [
    { partition: 1, startOffset: 100_000 }, { partition: 0, startOffset: 300, endOffset: 310 }, { partition: 0, startOffset: 10, endOffset: 99 }, { partition: 2, startOffset: 0 },
  ] }, withEmpty, 't');
  assert.equal(recordsIn(plan.ranges), 0);
  assert.deepEqual(plan.warnings, [
    'partition 1: offsets 100000-end start past the end of the partition (its last record is 49): nothing to read there',
    'partition 0: offsets 300-310 start past the end of the partition (its last record is 299): nothing to read there',
    'partition 0: offsets 10-99 are no longer in the topic (retention; it now starts at 100): nothing to read there',
    'partition 2: offsets 0-end start past the end of the partition (it holds no records): nothing to read there',
  ]);
});

test('offset ranges: an unknown partition is an error naming the topic', () => {
  assert.throws(() => planOffsetRanges({ kind: 'offsets', ranges: [{ partition: 9, startOffset: 0 }] }, marks, 'meshray.spans'), /topic meshray.spans has no partition 9/);
});
