import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationLiteral, buildFilterExpression, quote } from '../../../../../services/xray-local/console/src/filter-expression.ts';
import { parseFilter } from '../../../../../services/xray-local/filter/parse-filter.ts';

test('an empty form is no filter', () => {
  assert.equal(buildFilterExpression({}), '');
  assert.equal(buildFilterExpression({ service: '  ', status: '', advanced: ' ' }), '');
});

test('every field becomes a clause xray-local parses, joined by AND', () => {
  const expression = buildFilterExpression({
    service: 'reviews.default', status: 'fault', httpStatus: 503, minDurationMs: 250, annotationKey: 'response_flags', annotationValue: 'UF', advanced: 'http.method = "GET"',
  });
  assert.equal(expression, 'service("reviews.default") AND fault AND http.status = 503 AND duration >= 0.25 AND annotation.response_flags = "UF" AND http.method = "GET"');
  const parsed = parseFilter(expression);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.kind, 'and');
});

test('strings are quoted with escapes the parser undoes', () => {
  const tricky = 'a "quoted" \\ name';
  assert.equal(quote(tricky), '"a \\"quoted\\" \\\\ name"');
  const parsed = parseFilter(buildFilterExpression({ service: tricky }));
  assert.deepEqual(parsed, { ok: true, value: { kind: 'service', name: tricky } });
});

test('annotation values are typed as written; quotes force text; odd keys use annotation[...]', () => {
  assert.equal(annotationLiteral('42'), '42');
  assert.equal(annotationLiteral('-1.5'), '-1.5');
  assert.equal(annotationLiteral('TRUE'), 'true');
  assert.equal(annotationLiteral('"0"'), '"0"');
  assert.equal(annotationLiteral('outbound|9080||x'), '"outbound|9080||x"');
  const expression = buildFilterExpression({ annotationKey: 'http.status code', annotationValue: '"0"' });
  assert.equal(expression, 'annotation["http.status code"] = "0"');
  assert.deepEqual(parseFilter(expression), { ok: true, value: { kind: 'annotation', key: 'http.status code', op: '=', value: '0' } });
  assert.deepEqual(parseFilter(buildFilterExpression({ annotationKey: 'request_size', annotationValue: '0' })),
    { ok: true, value: { kind: 'annotation', key: 'request_size', op: '=', value: 0 } });
});

test('durations are sent in seconds; non-positive or non-numeric ones are dropped', () => {
  assert.equal(buildFilterExpression({ minDurationMs: 1 }), 'duration >= 0.001');
  assert.equal(buildFilterExpression({ minDurationMs: 0 }), '');
  assert.equal(buildFilterExpression({ minDurationMs: Number.NaN }), '');
  assert.equal(buildFilterExpression({ httpStatus: 4.5 }), '');
});
