import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPosition, formatProgress, formatSkipped, MAX_SKIPPED_LISTED, ReplayTally, resumeOffsets } from '../../../../../services/cli/replay/progress.ts';

test('formatPosition: progress within the range, done, nothing to read', () => {
  assert.equal(formatPosition({ partition: 3, next: 1200, startOffset: 1000, endOffset: 6000 }), 'p3 200/5000');
  assert.equal(formatPosition({ partition: 3, next: 6000, startOffset: 1000, endOffset: 6000 }), 'p3 done');
  assert.equal(formatPosition({ partition: 4, next: 10, startOffset: 10, endOffset: 10 }), '');
});

test('formatProgress: counts, rate, percent and unfinished partitions first', () => {
  const line = formatProgress({
    records: 12_345, totalRecords: 50_000, spans: 12_300, written: 18_000, writtenUnit: 'document', skipped: 2, elapsedMs: 9_000,
    positions: [
      { partition: 0, next: 100, startOffset: 0, endOffset: 100 },
      { partition: 1, next: 50, startOffset: 0, endOffset: 200 },
      { partition: 2, next: 0, startOffset: 0, endOffset: 0 },
    ],
  });
  assert.equal(line, '12,345/50,000 records (24%), 12,300 spans, 18,000 documents written (2,000/s), 2 skipped, 9.0s | p1 50/200 p0 done');
});

test('formatProgress: plurals by count; a rate above the limit is called a burst; nothing to read says so', () => {
  const one = formatProgress({ records: 1, totalRecords: 1, spans: 1, written: 1, writtenUnit: 'document', skipped: 0, elapsedMs: 1000, positions: [] });
  assert.equal(one, '1/1 record (100%), 1 span, 1 document written (1/s), 1.0s');
  const burst = formatProgress({
    records: 500, totalRecords: 500, spans: 500, written: 500, writtenUnit: 'document', skipped: 0, elapsedMs: 100, positions: [], rateLimitPerSecond: 2000,
  });
  assert.match(burst, /500 documents written \(5,000\/s in a burst; limit 2,000\/s\)/);
  const steady = formatProgress({
    records: 4000, totalRecords: 4000, spans: 4000, written: 4000, writtenUnit: 'document', skipped: 0, elapsedMs: 2000, positions: [], rateLimitPerSecond: 2000,
  });
  assert.match(steady, /\(2,000\/s\)/);
});

test('formatProgress: no skipped part when none; long partition lists are cut', () => {
  const positions = Array.from({ length: 20 }, (_, p) => ({ partition: p, next: 0, startOffset: 0, endOffset: 10 }));
  const line = formatProgress({ records: 0, totalRecords: 200, spans: 0, written: 0, writtenUnit: 'span', skipped: 0, elapsedMs: 0, positions }, 3);
  assert.equal(line, '0/200 records (0%), 0 spans, 0 spans written (0/s), 0.0s | p0 0/10 p1 0/10 p2 0/10 +17 more');
});

test('formatSkipped: counts by kind, the first few by offset, then how many more', () => {
  const tally = new ReplayTally();
  assert.equal(formatSkipped(tally), '');
  tally.skip({ kind: 'undecodable', partition: 0, offset: '17', reason: 'avro', message: 'invalid Avro span: truncated\nmore' });
  tally.skip({ kind: 'rejected', partition: 0, offset: '3', reason: 'InvalidTraceId', message: 'Invalid segment', source: 'meshray.spans/2@40' });
  for (let i = 0; i < MAX_SKIPPED_LISTED + 3; i += 1) tally.skip({ kind: 'untranslatable', partition: 1, offset: '9', reason: 'no_timestamp', message: 'x', spanIndex: i });
  const text = formatSkipped(tally);
  // found by review: a record of 13 poison spans read "15 records skipped"
  assert.match(text, /^15 skipped \(1 undecodable record, 13 untranslatable spans, 1 rejected span\):\n/);
  assert.match(text, /\n {2}untranslatable p1@9 span 0 no_timestamp: x\n {2}untranslatable p1@9 span 1 no_timestamp: x\n/);
  assert.match(text, /\n {2}undecodable p0@17 avro: invalid Avro span: truncated\n/);
  assert.match(text, /\n {2}rejected p0@3 \(from meshray.spans\/2@40\) InvalidTraceId: Invalid segment\n/);
  assert.match(text, /\n {2}\.\.\. and 5 more\n$/);
  assert.equal(tally.skippedTotal, 15);
});

test('resumeOffsets: what is left, as an inclusive --offsets value', () => {
  assert.equal(resumeOffsets([
    { partition: 0, next: 100, startOffset: 0, endOffset: 100 },
    { partition: 1, next: 57, startOffset: 0, endOffset: 200 },
    { partition: 4, next: 3, startOffset: 3, endOffset: 9 },
  ]), '1:57-199,4:3-8');
  assert.equal(resumeOffsets([]), '');
});

test('formatProgress: capture --summary alone says its dead letters were counted, not written', () => {
  const line = formatProgress({ records: 1, totalRecords: 1, written: 1, writtenUnit: 'dead letter', writtenVerb: 'counted', skipped: 0, elapsedMs: 1000, positions: [] });
  assert.match(line, /^1\/1 record \(100%\), 1 dead letter counted \(/);
});
