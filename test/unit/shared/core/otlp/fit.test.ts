/**
 * fitSpan (shared/core/otlp/fit.ts): a span over the endpoint's 200 KB loses its largest non-essential
 * attributes, then its events, and names the attributes it lost (`meshray.trimmed_attributes`) only where the
 * names cost nothing else: the same attributes are dropped with or without them.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitSpan, TRIMMED_ATTRIBUTES_KEY } from '../../../../../shared/core/otlp/fit.ts';
import { spanJsonBytes } from '../../../../../shared/core/otlp/encode.ts';
import { truncateChars } from '../../../../../shared/core/xray/limits.ts';
import type { KeyValue, OtlpSpan } from '../../../../../shared/core/otlp/index.ts';

const KB = 1024;
const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

function spanWith(attributes: KeyValue[], events: OtlpSpan['events'] = []): OtlpSpan {
  return {
    traceId: '65e1c3f0a1b2c3d4e5f60718293a4b5c', spanId: '1111111111111111', flags: 1, name: 'GET /reviews', kind: 2,
    startTimeUnixNano: '1764000000000000000', endTimeUnixNano: '1764000000005000000',
    attributes, droppedAttributesCount: 0, events, droppedEventsCount: 0, status: { code: 0 },
  };
}

const valueOf = (s: OtlpSpan, key: string): unknown => {
  const kv = s.attributes.find((a) => a.key === key);
  if (kv === undefined) return undefined;
  return 'arrayValue' in kv.value ? kv.value.arrayValue.values.map((v) => ('stringValue' in v ? v.stringValue : v)) : 'stringValue' in kv.value ? kv.value.stringValue : kv.value;
};

it('names the dropped attributes, largest first, beside the counts', () => {
  const span = spanWith([str('http.request.method', 'GET'), str('request.body', 'b'.repeat(120 * KB)), str('response.body', 'r'.repeat(150 * KB)), str('user_agent', 'curl')]);
  const fitted = fitSpan(span, 200 * KB);
  assert.ok(fitted !== undefined);
  assert.equal(fitted.span.droppedAttributesCount, 1);
  assert.equal(valueOf(fitted.span, 'meshray.trimmed'), 'attributes');
  assert.deepEqual(valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY), ['response.body']);
  assert.equal(valueOf(fitted.span, 'request.body'), 'b'.repeat(120 * KB), 'what fits is kept');
  assert.equal(fitted.bytes, spanJsonBytes(fitted.span));
  assert.ok(fitted.bytes <= 200 * KB);
});

it('names at most 20 attributes, each cut to 100 characters, and leaves a span that fits untouched', () => {
  const many = Array.from({ length: 30 }, (_, i) => str(`${'k'.repeat(150)}${String(i).padStart(2, '0')}`, 'v'.repeat(8 * KB)));
  const fitted = fitSpan(spanWith(many), 40 * KB);
  assert.ok(fitted !== undefined);
  const names = valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY) as string[];
  assert.equal(names.length, 20);
  assert.ok(fitted.span.droppedAttributesCount > 20, `${fitted.span.droppedAttributesCount} dropped: the count covers them all`);
  assert.ok(names.every((n) => n === 'k'.repeat(100)));
  const small = spanWith([str('a', 'b')]);
  assert.equal(fitSpan(small, 200 * KB)?.span, small);
});

it('names several dropped attributes largest first, and drops a tag of the span\'s own under a marker\'s name (OTLP keys are unique)', () => {
  const span = spanWith([str('meshray.trimmed', 'mine'), str('small', 's'.repeat(30 * KB)), str('large', 'l'.repeat(90 * KB)), str('mid', 'm'.repeat(60 * KB)), str('tiny', 't')]);
  const fitted = fitSpan(span, 80 * KB);
  assert.ok(fitted !== undefined);
  assert.deepEqual(valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY), ['meshray.trimmed', 'large', 'mid']);
  assert.equal(fitted.span.droppedAttributesCount, 3);
  assert.deepEqual(fitted.span.attributes.map((kv) => kv.key), ['small', 'tiny', 'meshray.trimmed', TRIMMED_ATTRIBUTES_KEY], 'each key once');
  assert.equal(valueOf(fitted.span, 'meshray.trimmed'), 'attributes');
});

it('says "events" when only events were dropped (no attribute could go)', () => {
  const span = spanWith([str('http.request.method', 'GET')], [{ timeUnixNano: '1764000000001000000', name: 'e'.repeat(50 * KB), attributes: [] }]);
  const fitted = fitSpan(span, 10 * KB);
  assert.ok(fitted !== undefined);
  assert.equal(valueOf(fitted.span, 'meshray.trimmed'), 'events');
  assert.equal(valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY), undefined);
  assert.equal(fitted.span.droppedEventsCount, 1);
});

it('never drops more attributes, nor refuses a span, for the names (random spans at their limit)', () => {
  const attribute = fc.record({ key: fc.string({ minLength: 1, maxLength: 300 }), size: fc.integer({ min: 0, max: 4000 }) });
  fc.assert(
    fc.property(fc.array(attribute, { minLength: 1, maxLength: 25 }), fc.integer({ min: 500, max: 40_000 }), (attrs, maxBytes) => {
      const span = spanWith(attrs.map((a, i) => str(`${a.key}${i}`, 'x'.repeat(a.size))));
      const fitted = fitSpan(span, maxBytes);
      // Without names: drop the largest non-essential attributes until the span (marked) fits.
      const sorted = [...span.attributes].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length);
      let expected: number | undefined;
      for (let n = 1; n <= sorted.length && expected === undefined; n += 1) {
        const kept = span.attributes.filter((kv) => !sorted.slice(0, n).includes(kv));
        if (spanJsonBytes({ ...span, attributes: [...kept, str('meshray.trimmed', 'attributes')], droppedAttributesCount: n }) <= maxBytes) expected = n;
      }
      if (spanJsonBytes(span) <= maxBytes) return assert.equal(fitted?.span, span);
      if (expected === undefined) return assert.equal(fitted, undefined, 'no events to drop: nothing fits'); // as without names
      assert.ok(fitted !== undefined, 'fits as it did without names');
      assert.equal(fitted.span.droppedAttributesCount, expected, 'the same attributes dropped');
      assert.ok(spanJsonBytes(fitted.span) <= maxBytes);
      const names = valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY) as string[] | undefined;
      const wanted = sorted.slice(0, Math.min(20, expected)).map((kv) => truncateChars(kv.key, 100));
      if (names !== undefined) return assert.deepEqual(names, wanted, 'the first 20 dropped, largest first');
      const withNames = { ...fitted.span, attributes: [...fitted.span.attributes, { key: TRIMMED_ATTRIBUTES_KEY, value: { arrayValue: { values: wanted.map((stringValue) => ({ stringValue })) } } }] };
      assert.ok(spanJsonBytes(withNames) > maxBytes, 'names left out only when they do not fit');
    }),
    { numRuns: 400, seed: 29 },
  );
});

it('a convention\'s attribute whose Envoy-named twin is kept for an annotation goes alone when that is enough, before a tag found nowhere else (found by review)', () => {
  const id = 'i'.repeat(90 * KB);
  const twin: KeyValue = { key: 'http.request.header.x-request-id', value: { arrayValue: { values: [{ stringValue: id }] } } };
  const span = spanWith([str('http.request.method', 'GET'), twin, str('guid:x-request-id', id), str('my.big.tag', 't'.repeat(105 * KB))]);
  const fitted = fitSpan(span, 200 * KB);
  assert.ok(fitted !== undefined);
  assert.deepEqual(valueOf(fitted.span, TRIMMED_ATTRIBUTES_KEY), ['http.request.header.x-request-id']);
  assert.equal(valueOf(fitted.span, 'guid:x-request-id'), id, 'the twin, and the annotation it makes, stay');
  assert.equal(valueOf(fitted.span, 'my.big.tag'), 't'.repeat(105 * KB));
  // without the Envoy-named twin the convention's attribute is just another attribute: the largest goes first
  const alone = fitSpan(spanWith([str('http.request.method', 'GET'), twin, str('my.big.tag', 't'.repeat(125 * KB))]), 200 * KB);
  assert.deepEqual(alone === undefined ? undefined : valueOf(alone.span, TRIMMED_ATTRIBUTES_KEY), ['my.big.tag']);
  // a small twin that cannot make the span fit is not dropped for nothing: the largest goes, as without twins
  const small = fitSpan(spanWith([str('http.request.method', 'GET'), { key: 'http.request.header.x-request-id', value: { arrayValue: { values: [{ stringValue: 'abc' }] } } }, str('guid:x-request-id', 'abc'), str('my.big.tag', 't'.repeat(205 * KB))]), 200 * KB);
  assert.deepEqual(small === undefined ? undefined : valueOf(small.span, TRIMMED_ATTRIBUTES_KEY), ['my.big.tag']);
  assert.equal(small?.span.droppedAttributesCount, 1);
});
