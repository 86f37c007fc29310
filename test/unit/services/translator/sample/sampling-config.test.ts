import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../../shared/edge/config/index.ts';
import { translatorEnvSchema } from '../../../../../services/translator/config.ts';

const BASE = { KAFKA_BROKERS: '127.0.0.1:9092', XRAY_ENDPOINT: 'http://127.0.0.1:2000' };

test('SAMPLING defaults: off, 2,300 segments/s, 10 s slow, no keep rule, 120 s decisions', () => {
  const r = parseConfig(translatorEnvSchema, BASE);
  assert.ok(r.ok);
  assert.equal(r.value.SAMPLING, 'off');
  assert.equal(r.value.XRAY_SEGMENTS_PER_SECOND, 2_300);
  assert.equal(r.value.OTLP_SPANS_PER_SECOND, 2_300);
  assert.equal(r.value.SAMPLE_SLOW_MS, 10_000);
  assert.equal(r.value.SAMPLE_KEEP, '');
  assert.equal(r.value.SAMPLE_DECISION_TTL, 120_000);
});

test('SAMPLING=on needs ASSEMBLY=on', () => {
  const r = parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', ASSEMBLY: 'off' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['SAMPLING']);
  assert.ok(parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', ASSEMBLY: 'on' }).ok);
});

test('every SAMPLE_KEEP problem is listed at startup', () => {
  const r = parseConfig(translatorEnvSchema, { ...BASE, SAMPLE_KEEP: 'servce=a or status>=5xx' });
  assert.ok(!r.ok);
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]?.path, 'SAMPLE_KEEP');
  assert.match(r.issues[0]?.message ?? '', /clause 1, test 1: "servce=a".*; clause 2, test 1: status needs a three-digit number/);
  assert.ok(parseConfig(translatorEnvSchema, { ...BASE, SAMPLE_KEEP: 'service=payments or status>=500' }).ok);
});

test('SAMPLING=on refuses a budget set for the other protocol (it would be ignored), naming the one to set', () => {
  const otlp = parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', EXPORT_PROTOCOL: 'otlp', XRAY_SEGMENTS_PER_SECOND: '1000' });
  assert.ok(!otlp.ok);
  assert.deepEqual(otlp.issues.map((i) => i.path), ['XRAY_SEGMENTS_PER_SECOND']);
  assert.match(otlp.issues[0]?.message ?? '', /not used with EXPORT_PROTOCOL=otlp: that budget is OTLP_SPANS_PER_SECOND \(now 2300\)/);
  const segments = parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', OTLP_SPANS_PER_SECOND: '1000' });
  assert.ok(!segments.ok);
  assert.deepEqual(segments.issues.map((i) => i.path), ['OTLP_SPANS_PER_SECOND']);
  // Each budget with its own protocol, and either one with sampling off, is accepted.
  assert.ok(parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', EXPORT_PROTOCOL: 'otlp', OTLP_SPANS_PER_SECOND: '1000' }).ok);
  assert.ok(parseConfig(translatorEnvSchema, { ...BASE, SAMPLING: 'on', XRAY_SEGMENTS_PER_SECOND: '1000' }).ok);
  assert.ok(parseConfig(translatorEnvSchema, { ...BASE, EXPORT_PROTOCOL: 'otlp', XRAY_SEGMENTS_PER_SECOND: '1000' }).ok);
});
