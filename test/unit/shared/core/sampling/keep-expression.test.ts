import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesKeep, parseKeepExpression, type KeepExpression } from '../../../../../shared/core/sampling/keep-expression.ts';
import type { SpanFacts } from '../../../../../shared/core/sampling/trace-facts.ts';

function parsed(text: string): KeepExpression {
  const r = parseKeepExpression(text);
  assert.ok(r.ok, `expected ${text} to parse`);
  return r.value;
}
const facts = (service: string, status?: number, tags: Record<string, string> = {}): SpanFacts => ({ service, status, tags });

test('an empty expression matches nothing', () => {
  assert.equal(matchesKeep(parsed('  '), [facts('reviews', 200)]), false);
});

test('service, status and annotation tests, and/or, prefix match', () => {
  const e = parsed('service=payments or status>=500 or service=ratings and status=404 or annotation.http.url=/api/v1/products*');
  assert.equal(matchesKeep(e, [facts('reviews', 200), facts('payments', 200)]), true);
  assert.equal(matchesKeep(e, [facts('reviews', 503)]), true);
  assert.equal(matchesKeep(e, [facts('reviews', 499)]), false);
  assert.equal(matchesKeep(e, [facts('ratings', 404)]), true);
  // and: both tests on the same span
  assert.equal(matchesKeep(e, [facts('ratings', 200), facts('reviews', 404)]), false);
  assert.equal(matchesKeep(e, [facts('x', 200, { 'http.url': '/api/v1/products/1' })]), true);
  assert.equal(matchesKeep(e, [facts('x', 200, { 'http.url': '/api/v2/products/1' })]), false);
});

test('!= and numeric comparisons; a span without status only satisfies !=', () => {
  assert.equal(matchesKeep(parsed('status!=200'), [facts('a')]), true);
  assert.equal(matchesKeep(parsed('status<300'), [facts('a')]), false);
  assert.equal(matchesKeep(parsed('status<300'), [facts('a', 204)]), true);
  assert.equal(matchesKeep(parsed('status>404'), [facts('a', 404)]), false);
  assert.equal(matchesKeep(parsed('status<=404'), [facts('a', 404)]), true);
  assert.equal(matchesKeep(parsed('service!=reviews'), [facts('reviews')]), false);
  assert.equal(matchesKeep(parsed('annotation.user!=bob'), [facts('reviews')]), true);
});

test('parse errors name every bad test', () => {
  const r = parseKeepExpression('service=a or stauts=500 and status>=5xx or service>=b');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.issues.map((i) => i.path), ['clause 2, test 1', 'clause 2, test 2', 'clause 3, test 1']);
  assert.match(r.issues[1]?.message ?? '', /three-digit/);
  assert.match(r.issues[2]?.message ?? '', /= or != only/);
});

test('a quoted value is the value inside the quotes; == and stray quotes are refused, never kept as part of the value (service="payments" kept nothing)', () => {
  for (const text of ['service="productpage.default"', "service='productpage.default'"]) {
    assert.equal(matchesKeep(parsed(text), [facts('productpage.default')]), true, text);
  }
  assert.equal(matchesKeep(parsed('annotation.http.url="/api/v1/products*"'), [facts('x', 200, { 'http.url': '/api/v1/products/1' })]), true);
  assert.equal(matchesKeep(parsed('status="500"'), [facts('x', 500)]), true);
  for (const text of ['service==payments', 'service="payments', 'service=pay"ments', 'service=""', 'status==500', 'service!==payments']) {
    const r = parseKeepExpression(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.issues[0]?.message ?? '', /one operator; quotes around the whole value only/, text);
  }
});
