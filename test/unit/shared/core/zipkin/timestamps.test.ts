import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Issue } from '../../../../../shared/core/result/result.ts';
import { MAX_SPAN_MICROS } from '../../../../../shared/core/zipkin/span.ts';
import { beyondMicrosMessage, readMicros, timestampUnitFactorOf } from '../../../../../shared/core/zipkin/timestamps.ts';

test('timestampUnitFactorOf repairs only readings that are 2000–2100 as epoch milliseconds or seconds', () => {
  assert.equal(timestampUnitFactorOf(1_764_700_000_000_000), 1); // microseconds, 2025
  assert.equal(timestampUnitFactorOf(1_764_700_000_000), 1000); // milliseconds
  assert.equal(timestampUnitFactorOf('1764700000000'), 1000); // a string of digits too
  assert.equal(timestampUnitFactorOf(1_764_700_000), 1_000_000); // seconds
  assert.equal(timestampUnitFactorOf(1000), 1); // a small test value is left alone
  assert.equal(timestampUnitFactorOf(4_102_444_800_000), 1); // 2100 as milliseconds: not repaired
  assert.equal(timestampUnitFactorOf('1.5e12'), 1); // not integer text
  assert.equal(timestampUnitFactorOf(-5), 1);
});

test('beyondMicrosMessage names epoch nanoseconds as the likely mistake, and nothing else', () => {
  assert.equal(beyondMicrosMessage(1_764_700_000_000_000_000, '1764700000000000000'),
    `must be at most ${MAX_SPAN_MICROS} microseconds, got 1764700000000000000: it reads as epoch nanoseconds (Zipkin timestamps are epoch microseconds: divide by 1000)`);
  // 2^62 as nanoseconds is the year 2116: past the range a nanosecond mistake gives, so no hint
  assert.equal(beyondMicrosMessage(2 ** 62), `must be at most ${MAX_SPAN_MICROS} microseconds`);
});

test('readMicros: numbers and digit strings, rounded and scaled; absent for zero or less; an issue for anything else', () => {
  const issues: Issue[] = [];
  assert.equal(readMicros(1.6, 'spans[0]', 'timestamp', issues), 2);
  assert.equal(readMicros('1500', 'spans[0]', 'duration', issues, 1000), 1_500_000);
  assert.equal(readMicros(-3, 'spans[0]', 'duration', issues), undefined);
  assert.equal(readMicros(null, 'spans[0]', 'duration', issues), undefined);
  assert.deepEqual(issues, []);
  assert.equal(readMicros('soon', 'spans[1]', 'timestamp', issues), undefined);
  assert.equal(readMicros(MAX_SPAN_MICROS + 10, 'spans[2]', 'duration', issues), undefined);
  assert.deepEqual(issues, [
    { path: 'spans[1].timestamp', message: 'must be a number of microseconds, got "soon"' },
    { path: 'spans[2].duration', message: beyondMicrosMessage(MAX_SPAN_MICROS + 10, String(MAX_SPAN_MICROS + 10)) },
  ]);
});
