import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveRate, keepPolicyOf, MIN_ADAPTIVE_RATE, traceFraction } from '../../../../../shared/core/sampling/policy.ts';
import { KEEP_NOTHING, parseKeepExpression } from '../../../../../shared/core/sampling/keep-expression.ts';
import { documentsAtMostOf, traceFactsOf } from '../../../../../shared/core/sampling/trace-facts.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import { createPrng, DEFAULT_GENERATE_OPTIONS, FLAVOURS, generateRequest } from '../../../../../services/simulator/index.ts';
import { span, START_MICROS } from '../../../../support/spans.ts';

const settings = { slowMs: 2000, keep: KEEP_NOTHING };

test('a fault, an error or a throttle keeps the trace by the error policy', () => {
  for (const tags of [{ 'http.status_code': '503' }, { 'http.status_code': '404' }, { 'http.status_code': '429' }, { error: 'true' }, { response_flags: 'UF' }]) {
    const facts = traceFactsOf([span(), span({ id: '2222222222222222', parentId: '1111111111111111', kind: 'CLIENT', tags })]);
    assert.equal(keepPolicyOf(facts, settings), 'error', JSON.stringify(tags));
  }
  assert.equal(keepPolicyOf(traceFactsOf([span({ tags: { 'http.status_code': '200' } })]), settings), undefined);
});

test('the slow policy measures from the earliest start to the latest end; 0 turns it off', () => {
  const spans = [span({ durationMicros: 500_000 }), span({ id: '2222222222222222', timestampMicros: START_MICROS + 1_500_000, durationMicros: 500_000 })];
  assert.equal(traceFactsOf(spans).durationMs, 2000);
  assert.equal(keepPolicyOf(traceFactsOf(spans), settings), 'slow');
  assert.equal(keepPolicyOf(traceFactsOf(spans.slice(0, 1)), settings), undefined);
  assert.equal(keepPolicyOf(traceFactsOf(spans), { ...settings, slowMs: 0 }), undefined);
});

test('SAMPLE_KEEP matches keep by keep_rule; error comes before slow comes before keep_rule', () => {
  const keep = parseKeepExpression('service=reviews');
  assert.ok(keep.ok);
  const s = { slowMs: 1, keep: keep.value };
  assert.equal(keepPolicyOf(traceFactsOf([span({ localEndpoint: { serviceName: 'reviews' }, durationMicros: 0 })]), s), 'keep_rule');
  assert.equal(keepPolicyOf(traceFactsOf([span({ localEndpoint: { serviceName: 'reviews' } })]), s), 'slow');
  assert.equal(keepPolicyOf(traceFactsOf([span({ localEndpoint: { serviceName: 'reviews' }, tags: { 'http.status_code': '500' } })]), s), 'error');
});

test('traceFraction is deterministic and spreads keys over [0, 1)', () => {
  assert.equal(traceFraction('e5f60718293a4b5c'), traceFraction('e5f60718293a4b5c'));
  const fractions = Array.from({ length: 1000 }, (_, i) => traceFraction(i.toString(16).padStart(16, '0')));
  assert.ok(fractions.every((f) => f >= 0 && f < 1));
  const under = fractions.filter((f) => f < 0.25).length;
  assert.ok(under > 200 && under < 300, `${under} of 1000 under 0.25`);
  // keys differing only in their last digits (consecutive ids) spread too, block by block
  for (let block = 0; block < 10; block += 1) {
    const inBlock = fractions.slice(block * 100, block * 100 + 100).filter((f) => f < 0.25).length;
    assert.ok(inBlock >= 10 && inBlock <= 40, `block ${block}: ${inBlock} of 100 under 0.25`);
  }
});

test('the adaptive rate moves towards granted/offered when the budget refuses, grows when it does not', () => {
  const rate = new AdaptiveRate(1000);
  assert.equal(rate.rateAt(0), 1);
  rate.observe(1000, 200, true);
  assert.equal(rate.rateAt(999), 1); // the window is not over
  assert.equal(rate.rateAt(1000), 0.6); // (1 + 0.2) / 2
  rate.observe(1000, 200, true);
  assert.equal(rate.rateAt(2000), 0.4);
  rate.observe(1000, 400, false); // nothing refused: target twice the rate
  assert.equal(rate.rateAt(3000), 0.6000000000000001);
  // no traffic: the rate stays
  assert.equal(rate.rateAt(4000), 0.6000000000000001);
  // never below the floor
  for (let t = 5000; t < 60_000; t += 1000) {
    rate.observe(1000, 0, true);
    rate.rateAt(t);
  }
  assert.equal(rate.rateAt(60_000), MIN_ADAPTIVE_RATE);
});

test('documentsAtMostOf bounds the unpacked documents of simulator traffic of every flavour (exact for sidecar Bookinfo)', () => {
  const prng = createPrng(7);
  for (const flavour of FLAVOURS) {
    let bound = 0;
    let actual = 0;
    for (let i = 0; i < 40; i += 1) {
      const spans = generateRequest(prng, START_MICROS, i, { ...DEFAULT_GENERATE_OPTIONS, flavour, errorRate: 0.1, faultRate: 0.05 }).spans.map((s) => s.span);
      const documents = translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: START_MICROS / 1000, epochs: new MemoryEpochStore() }).documents.length;
      assert.ok(documentsAtMostOf(spans) >= documents, `${flavour} request ${i}: ${documentsAtMostOf(spans)} < ${documents}`);
      bound += documentsAtMostOf(spans);
      actual += documents;
    }
    if (flavour === '1.7.4') assert.equal(bound, actual, '1.7.4: one root CLIENT span per request (the gateway), two documents');
  }
});
