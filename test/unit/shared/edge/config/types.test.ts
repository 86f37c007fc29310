import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, formatDurationMs, int, parseDurationMs, port as portNumber } from '../../../../../shared/edge/config/types.ts';
import { parseConfig } from '../../../../../shared/edge/config/index.ts';
import { translatorEnvSchema } from '../../../../../services/translator/config.ts';
import { allInOneEnvSchema } from '../../../../../services/all-in-one/config.ts';

test('parseDurationMs reads bare milliseconds, single units and compound durations', () => {
  const cases: [string, number | undefined][] = [
    ['250', 250], ['250ms', 250], ['3s', 3000], ['5.5s', 5500], ['2m', 120_000], ['1h', 3_600_000], ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004], ['0', 0], ['', undefined], ['3 s', undefined], ['s', undefined], ['-5s', undefined], ['1d', undefined], ['1.5.2s', undefined],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text);
});

test('formatDurationMs output reads back to the same milliseconds', () => {
  for (const ms of [0, 5, 250, 1000, 5500, 60_000, 90_000, 3_600_000]) assert.equal(parseDurationMs(formatDurationMs(ms)), ms, String(ms));
});

test('durationMs({ min }) refuses shorter values; a bare number under it is said to be milliseconds', () => {
  const schema = durationMs({ min: 1000 });
  assert.equal(schema.parse('60s'), 60_000);
  assert.equal(schema.parse('1000'), 1000);
  const bare = schema.safeParse('60');
  assert.equal(bare.success, false);
  assert.equal(bare.error?.issues[0]?.message, 'must be at least 1s, got "60" (a number without a unit is milliseconds: did you mean 60s?)');
  assert.equal(schema.safeParse('500ms').error?.issues[0]?.message, 'must be at least 1s, got "500ms"');
});

test('durationMs({ unitBelow, orZero, note }): a bare number under unitBelow needs a unit; 0 passes with orZero', () => {
  const schema = durationMs({ min: 100, unitBelow: 1000, orZero: true, note: 'see X' });
  assert.equal(schema.parse('600ms'), 600, 'with a unit, sub-second values pass');
  assert.equal(schema.parse('1000'), 1000);
  assert.equal(schema.parse('0'), 0);
  assert.equal(schema.safeParse('300').error?.issues[0]?.message, '"300" needs a unit: a number without one is milliseconds; write 300ms if that is meant, or 300s; see X');
  assert.equal(schema.safeParse('50ms').error?.issues[0]?.message, 'must be at least 100ms (or 0: none), got "50ms"');
});

test('receiver timeouts given as bare seconds (RECEIVER_HEADERS_TIMEOUT=10: 10 ms, every slow body a 408) and XRAY_RETRY_MAX=5 are refused, each named', () => {
  const r = parseConfig(allInOneEnvSchema, { RECEIVER_HEADERS_TIMEOUT: '10', RECEIVER_REQUEST_TIMEOUT: '30', RECEIVER_KEEP_ALIVE_TIMEOUT: '72', RECEIVER_CONNECTION_TIMEOUT: '300', XRAY_RETRY_MAX: '5' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ['RECEIVER_CONNECTION_TIMEOUT', 'RECEIVER_HEADERS_TIMEOUT', 'RECEIVER_KEEP_ALIVE_TIMEOUT', 'RECEIVER_REQUEST_TIMEOUT', 'XRAY_RETRY_MAX']);
  assert.match(r.issues.find((i) => i.path === 'XRAY_RETRY_MAX')?.message ?? '', /the number of retries is XRAY_MAX_RETRIES/);
  assert.ok(parseConfig(allInOneEnvSchema, { RECEIVER_HEADERS_TIMEOUT: '10s', RECEIVER_REQUEST_TIMEOUT: '30000', RECEIVER_CONNECTION_TIMEOUT: '0', XRAY_RETRY_MAX: '5s' }).ok);
});

test('EPOCH_TTL=60 (60 ms, which splits every trace) and EPOCH_TTL=0 are refused at start', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' };
  for (const value of ['60', '0']) {
    const r = parseConfig(translatorEnvSchema, { ...base, EPOCH_TTL: value });
    assert.ok(!r.ok, value);
    assert.deepEqual(r.issues.map((i) => i.path), ['EPOCH_TTL']);
  }
  const ok = parseConfig(translatorEnvSchema, { ...base, EPOCH_TTL: '60s', ASSEMBLY_IDLE: '500' });
  assert.ok(ok.ok);
  assert.equal(ok.value.EPOCH_TTL, 60_000);
});

test('RECEIVER_KEEP_ALIVE_TIMEOUT=0 (no limit, node\'s meaning) still passes; a refused 0 gets no "did you mean 0s?"', () => {
  assert.ok(parseConfig(allInOneEnvSchema, { RECEIVER_KEEP_ALIVE_TIMEOUT: '0' }).ok);
  const r = parseConfig(allInOneEnvSchema, { XRAY_RETRY_MAX: '0' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => `${i.path}: ${i.message}`), ['XRAY_RETRY_MAX: must be at least 1ms, got "0"']);
});

test('int(): a value that is no number says "expected a whole number" (zod said "expected number, received NaN"); bounds keep their own message', () => {
  const port = int(0, 65535);
  const issues = (v: string) => { const r = port.safeParse(v); return r.success ? [] : r.error.issues.map((i) => i.message); };
  assert.deepEqual(issues('abc'), ['expected a whole number']);
  assert.deepEqual(issues('80'), []);
  assert.match(issues('70000')[0] ?? '', /65535/);
  assert.equal(issues('1.5').length, 1, 'not whole: refused');
  // the range in words (it said "Too big: expected number to be <=65535"; newcomer trial)
  assert.deepEqual(issues('70000'), ['must be a whole number from 0 to 65535']);
  assert.deepEqual(issues('-1'), ['must be a whole number from 0 to 65535']);
  assert.deepEqual(int(1).safeParse('0').error?.issues.map((i) => i.message), ['must be a whole number of at least 1']);
  const tcp = portNumber().safeParse('70000').error?.issues.map((i) => i.message);
  assert.deepEqual(tcp, ['must be a TCP port number from 0 to 65535']);
  assert.deepEqual(portNumber().safeParse('1.5').error?.issues.map((i) => i.message), ['expected a TCP port number']);
});
