import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { DeliveredRecord } from '../../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { parseKeepExpression } from '../../../../../shared/core/sampling/index.ts';
import type { DueTrace } from '../../../../../services/translator/assemble/assembly-window.ts';
import { LocalExportBudget, type BudgetRequest, type ExportBudget } from '../../../../../services/translator/sample/export-budget.ts';
import { createSamplingMetrics } from '../../../../../services/translator/sample/sampling-metrics.ts';
import { TraceSampler } from '../../../../../services/translator/sample/trace-sampler.ts';
import { span } from '../../../../support/spans.ts';
import { metricValue, recordOf } from '../support.ts';

let offset = 0;
/** A trace of `n` spans (ids 1…n, all with a parent: a document each) of `service`, as one due trace; `tags` on its last span. */
function trace(traceId: string, n: number, service: string, tags: Record<string, string> = {}, reason: DueTrace['reason'] = 'idle'): DueTrace {
  const spans: Span[] = Array.from({ length: n }, (_, i) => span({
    traceId, id: (i + 1).toString(16).padStart(16, '0'), parentId: '00000000000000ff', localEndpoint: { serviceName: service }, tags: i === n - 1 ? tags : {},
  }));
  const records: DeliveredRecord[] = spans.map((s) => ({ ...recordOf(s), partition: 0, offset: String(offset++) }));
  return { key: traceId.slice(-16), reason, records, generation: 1 };
}

function setUp(limitPerSecond: number, keep = '', protocol: 'segments' | 'otlp' = 'segments') {
  let now = 1_000_000;
  const clock = (): number => now;
  const requests: BudgetRequest[] = [];
  const local = new LocalExportBudget({ limitPerSecond, nowMs: clock });
  const budget: ExportBudget = { grant: (r) => { requests.push(r); return local.grant(r); } };
  const registry = new Registry();
  const parsed = parseKeepExpression(keep);
  assert.ok(parsed.ok);
  const sampler = new TraceSampler({
    policy: { slowMs: 10_000, keep: parsed.value }, protocol, budget, decisionTtlMs: 60_000, maxDecisions: 100, metrics: createSamplingMetrics(registry), clock,
  });
  return { sampler, registry, requests, advance: (ms: number) => { now += ms; } };
}

const keys = (due: readonly DueTrace[]): string[] => due.map((d) => d.key);

test('an error trace takes the budget first; healthy traces get what is left below the headroom, whole or not at all', async () => {
  // 12 a second: the error trace's 8 leave 4, less the headroom (a tenth, 1.2): room for 2, not 8
  const { sampler, registry, requests } = setUp(12);
  const error = trace('a0000000000000000000000000000001', 8, 'ratings', { 'http.status_code': '503' });
  const healthy1 = trace('a0000000000000000000000000000002', 8, 'reviews');
  const healthy2 = trace('a0000000000000000000000000000003', 2, 'reviews');
  const { keep, drop } = await sampler.sample([error, healthy1, healthy2]);
  assert.deepEqual(requests, [{ forced: 8, wanted: [8, 2] }]);
  assert.deepEqual(keys(keep), [error.key, healthy2.key]);
  assert.deepEqual(keys(drop), [healthy1.key]);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept', policy: 'error', service: 'ratings' }), 8);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept', policy: 'adaptive', service: 'reviews' }), 2);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'sampled_out', policy: 'adaptive', service: 'reviews' }), 8);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_rate', { service: 'reviews' }), 0.2);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_rate', { service: 'ratings' }), 1);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_budget_fallbacks_total'), 0);
});

test('error traces go out even with the budget spent; late spans and retries follow the cached decision without taking budget', async () => {
  const { sampler, requests } = setUp(4);
  const healthy = trace('b0000000000000000000000000000001', 6, 'reviews');
  const error = trace('b0000000000000000000000000000002', 6, 'details', { error: 'true' });
  const first = await sampler.sample([healthy, error]);
  assert.deepEqual(keys(first.drop), [healthy.key]);
  assert.deepEqual(keys(first.keep), [error.key]);
  const lateHealthy = { ...trace('b0000000000000000000000000000001', 1, 'reviews'), reason: 'late' as const };
  const retryError = { ...error, reason: 'retry' as const };
  const lateUnknown = { ...trace('b0000000000000000000000000000009', 1, 'reviews'), reason: 'late' as const };
  const second = await sampler.sample([lateHealthy, retryError, lateUnknown]);
  assert.deepEqual(keys(second.drop), [lateHealthy.key]);
  assert.deepEqual(keys(second.keep), [retryError.key, lateUnknown.key]);
  assert.equal(requests.length, 1, 'nothing new asked the budget');
});

test('SAMPLE_KEEP and slow traces are kept by policy; the decision cache forgets after its TTL', async () => {
  const { sampler, registry, advance } = setUp(1, 'service=payments');
  const kept = trace('c0000000000000000000000000000001', 3, 'payments');
  const slow = trace('c0000000000000000000000000000002', 1, 'reviews');
  const slowSpan = { ...slow, records: [{ ...recordOf(span({ traceId: 'c0000000000000000000000000000002', parentId: '00000000000000ff', durationMicros: 10_000_000 })), partition: 0, offset: String(offset++) }] };
  const plain = trace('c0000000000000000000000000000003', 3, 'reviews');
  const r = await sampler.sample([kept, slowSpan, plain]);
  assert.deepEqual(keys(r.keep), [kept.key, slowSpan.key]);
  assert.deepEqual(keys(r.drop), [plain.key]);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { policy: 'keep_rule' }), 3);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { policy: 'slow' }), 1);
  advance(60_000);
  const late = await sampler.sample([{ ...trace('c0000000000000000000000000000003', 1, 'reviews'), reason: 'late' }]);
  assert.equal(late.keep.length, 1, 'a late span whose decision expired is exported');
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept', policy: 'unknown' }), 1);
});

test('the adaptive rate falls while the budget refuses, so fewer traces are offered', async () => {
  const { sampler, registry, advance } = setUp(20);
  let id = 0;
  const healthyTraces = (n: number): DueTrace[] => Array.from({ length: n }, () => trace(`d${(id++).toString(16).padStart(31, '0')}`, 2, 'reviews'));
  for (let second = 0; second < 5; second += 1) {
    const r = await sampler.sample(healthyTraces(100)); // 200 documents offered per second
    assert.equal(r.keep.length, 9, `second ${second}: the budget's 20 documents a second less the headroom (2), 9 traces`);
    advance(1000);
  }
  const rate = await metricValue(registry, 'meshray_translator_sampling_adaptive_rate');

  assert.ok(Math.abs(rate - 0.146875) < 1e-12, `${rate}: the rate applied in the fifth second: 1 → 0.545 → 0.3175 → 0.20375 → 0.146875 (towards 18/200)`);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept' }), 90);
});

test('EXPORT_PROTOCOL=otlp: a trace costs its spans (OTLP_SPANS_PER_SECOND), the segments path the documents they make at most', async () => {
  const root = (id: string): DueTrace => {
    const t = trace(id, 3, 'productpage');
    const first = t.records[0];
    const rootSpan = span({ traceId: id, id: '00000000000000ff', localEndpoint: { serviceName: 'istio-ingressgateway' } });
    return { ...t, records: [...t.records, { ...recordOf(rootSpan), partition: 0, offset: String(Number(first?.offset ?? 0) + 100) }] };
  };
  const otlp = setUp(100, '', 'otlp');
  await otlp.sampler.sample([root('f0000000000000000000000000000001')]);
  assert.deepEqual(otlp.requests, [{ forced: 0, wanted: [4] }], 'four OTLP spans');
  const segments = setUp(100);
  await segments.sampler.sample([root('f0000000000000000000000000000002')]);
  assert.deepEqual(segments.requests, [{ forced: 0, wanted: [5] }], 'three subsegment-or-segment documents and a root that makes two');
});

test('a trace sampled out whose later part carries an error (or is slow, or matches SAMPLE_KEEP) is kept from then on: the cached drop does not outrank the always-keep policies', async () => {
  const { sampler, registry } = setUp(4, 'service=payments');
  for (const [n, later] of [
    [1, trace('e0000000000000000000000000000001', 1, 'details', { 'http.status_code': '503' }, 'late')],
    [2, trace('e0000000000000000000000000000002', 1, 'payments', {}, 'idle')],
  ] as const) {
    const healthy = trace(`e000000000000000000000000000000${n}`, 6, 'reviews');
    assert.deepEqual(keys((await sampler.sample([healthy])).drop), [healthy.key], 'the healthy first part is sampled out');
    assert.deepEqual(keys((await sampler.sample([later])).keep), [later.key], 'its later part is kept by policy');
    const after = trace(`e000000000000000000000000000000${n}`, 1, 'reviews', {}, 'late');
    assert.deepEqual(keys((await sampler.sample([after])).keep), [after.key], 'and so is what comes after it');
  }
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept', policy: 'error', service: 'details' }), 1);
  assert.equal(await metricValue(registry, 'meshray_translator_sampling_spans_total', { decision: 'kept', policy: 'keep_rule', service: 'payments' }), 1);
});

test('a trace put back after a failed export whose decision expired is kept, never sampled again (its first part may be in X-Ray already)', async () => {
  const { sampler, requests, advance } = setUp(8);
  const healthy = trace('e0000000000000000000000000000001', 4, 'reviews');
  const first = await sampler.sample([healthy]);
  assert.deepEqual(keys(first.keep), [healthy.key]);
  // the budget is spent by others, and the export took longer than SAMPLE_DECISION_TTL (paced calls, retries)
  await sampler.sample([trace('e0000000000000000000000000000002', 8, 'reviews')]);
  advance(61_000);
  const asked = requests.length;
  const retried = await sampler.sample([{ ...healthy, reason: 'retry' }]);
  assert.deepEqual(keys(retried.keep), [healthy.key], 'kept: deciding again dropped the rest of a half-exported trace');
  assert.equal(requests.length, asked, 'nothing asked of the budget');
});
