import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochHexOf, isEpochInWindow, isXrayEpochAccepted, pad128, proposeXrayTraceId, traceKeyOf } from '../../../../../shared/core/xray/trace-id.ts';
import type { EpochWindow } from '../../../../../shared/core/xray/trace-id.ts';
import type { EpochPolicy } from '../../../../../shared/core/xray/config.ts';

const NOW_MS = Date.UTC(2024, 2, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const DAY_S = 86_400;
const win = (policy: EpochPolicy): EpochWindow => ({ policy, nowMs: NOW_MS, maxAgeMs: 28 * DAY_S * 1000, maxAheadMs: 300_000 });
const hex8 = (seconds: number): string => seconds.toString(16).padStart(8, '0');
const START_MICROS = (NOW_S - 10) * 1e6;

test('low 64 bits key a trace whatever its id width; 64-bit ids pad to 128', () => {
  assert.equal(traceKeyOf('216a2aea45d08fc9'), '216a2aea45d08fc9');
  assert.equal(traceKeyOf('7180c278b62e8f6a216a2aea45d08fc9'), '216a2aea45d08fc9');
  assert.equal(pad128('216a2aea45d08fc9'), '0000000000000000216a2aea45d08fc9');
});

test('epoch window edges: 28 days back and 5 minutes ahead are inside, one second beyond is not', () => {
  const cases: [string, number, boolean][] = [
    ['now', NOW_S, true],
    ['exactly 28 days ago', NOW_S - 28 * DAY_S, true],
    ['28 days and 1 s ago', NOW_S - 28 * DAY_S - 1, false],
    ['exactly 5 min ahead', NOW_S + 300, true],
    ['5 min and 1 s ahead', NOW_S + 301, false],
    ['zero (a padded 64-bit id)', 0, false],
    ['ffffffff', 0xffffffff, false],
  ];
  for (const [what, seconds, inside] of cases) assert.equal(isEpochInWindow(hex8(seconds), win('auto')), inside, what);
});

test('policy table: auto keeps an in-window epoch and rewrites others; rewrite always; preserve never (and refuses out-of-window)', () => {
  const inWindow = `${hex8(NOW_S - 3600)}a1b2c3d4e5f60718293a4b5c`;
  const random = 'eacd2e2b8a2daf31f6604fffcf8ffe2a';
  const startHex = hex8(NOW_S - 10);
  const cases: [EpochPolicy, string, string | undefined, boolean][] = [
    ['auto', inWindow, `1-${hex8(NOW_S - 3600)}-a1b2c3d4e5f60718293a4b5c`, false],
    ['auto', random, `1-${startHex}-8a2daf31f6604fffcf8ffe2a`, true],
    ['auto', '216a2aea45d08fc9', `1-${startHex}-00000000216a2aea45d08fc9`, true],
    ['rewrite', inWindow, `1-${startHex}-a1b2c3d4e5f60718293a4b5c`, true],
    ['rewrite', random, `1-${startHex}-8a2daf31f6604fffcf8ffe2a`, true],
    ['preserve', inWindow, `1-${hex8(NOW_S - 3600)}-a1b2c3d4e5f60718293a4b5c`, false],
    // X-Ray refuses these ids (epoch 2094, epoch 0): preserve gives none, the translator refuses the span
    ['preserve', random, undefined, false],
    ['preserve', '216a2aea45d08fc9', undefined, false],
  ];
  for (const [policy, zipkin, expected, rewritten] of cases) {
    const got = proposeXrayTraceId(zipkin, START_MICROS, win(policy));
    assert.equal(got?.xrayTraceId, expected, `${policy} ${zipkin}`);
    if (got !== undefined) assert.equal(got.rewritten, rewritten, `${policy} ${zipkin} rewritten`);
  }
});

test('auto and rewrite date a span that started outside the window at a stable second inside it', () => {
  const random = 'eacd2e2b8a2daf31f6604fffcf8ffe2a';
  // NOW is 2024-03-01T12:00:00Z: the window opens 2024-02-02T12:00:00Z; its first midnight is 2024-02-03T00:00:00Z
  const firstMidnight = Date.UTC(2024, 1, 3) / 1000;
  const cases: [string, number, number][] = [
    ['40 days ago (a replayed capture)', (NOW_S - 40 * DAY_S) * 1e6, firstMidnight],
    ['January 1970 (epoch milliseconds read as micros)', 1748779200123, firstMidnight],
    ['an hour ahead (a skewed clock)', (NOW_S + 3600) * 1e6, NOW_S],
    ['inside the window', (NOW_S - 10) * 1e6, NOW_S - 10],
    ['inside the window, before its first midnight', (NOW_S - 28 * DAY_S + 60) * 1e6, NOW_S - 28 * DAY_S + 60],
  ];
  for (const policy of ['auto', 'rewrite'] as const) {
    for (const [what, startMicros, epochSeconds] of cases) {
      const got = proposeXrayTraceId(random, startMicros, win(policy));
      assert.equal(got?.xrayTraceId, `1-${hex8(epochSeconds)}-8a2daf31f6604fffcf8ffe2a`, `${policy}: ${what}`);
      assert.ok(isXrayEpochAccepted(hex8(epochSeconds), NOW_MS), `${policy}: ${what} is accepted by X-Ray`);
    }
  }
});

test('X-Ray accepts trace-id epochs from 30 days back to 5 minutes ahead', () => {
  assert.equal(isXrayEpochAccepted(hex8(NOW_S - 30 * DAY_S), NOW_MS), true);
  assert.equal(isXrayEpochAccepted(hex8(NOW_S - 30 * DAY_S - 1), NOW_MS), false);
  assert.equal(isXrayEpochAccepted(hex8(NOW_S + 300), NOW_MS), true);
  assert.equal(isXrayEpochAccepted(hex8(NOW_S + 301), NOW_MS), false);
  assert.equal(isXrayEpochAccepted('00000000', NOW_MS), false);
});

test('epochHexOf floors to the second and clamps to 32 bits', () => {
  assert.equal(epochHexOf(1561141508707487), '5d0d2104');
  assert.equal(epochHexOf(0), '00000000');
  assert.equal(epochHexOf(2 ** 53), 'ffffffff');
});

test('the date given to an out-of-window span is the same all day (a replay overwrites in X-Ray)', () => {
  const old = (NOW_S - 40 * DAY_S) * 1e6;
  const at = (nowMs: number) => proposeXrayTraceId('eacd2e2b8a2daf31f6604fffcf8ffe2a', old, { ...win('auto'), nowMs })?.xrayTraceId;
  assert.equal(at(NOW_MS), at(NOW_MS + 3 * 3600 * 1000));
  assert.equal(at(NOW_MS), at(NOW_MS - 11 * 3600 * 1000));
});
